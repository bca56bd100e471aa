# unitsync in a Coder template (snippet: add to your template's main.tf). Coder runs every
# coder_script in parallel; each start-up step runs under `unitsync run`, which waits for the
# steps named by --after (pushed by the agent the moment they complete, no polling), then
# completes the step, or fails it and every step that waits on it at once, with the reason.
# The workspace image needs the unitsync command on PATH (e.g. the single executable, make sea).

locals {
  unitsync_socket = "/tmp/unitsync-coder.sock"
  # Every step first waits (30 s at most) for the agent that the unitsync_agent script starts.
  unitsync_wait = "timeout 30 sh -c 'until unitsync ping >/dev/null 2>&1; do sleep 0.1; done'"
}

resource "coder_agent" "main" {
  arch = "amd64"
  os   = "linux"
  env = {
    UNITSYNC_SOCKET = local.unitsync_socket
  }
}

resource "coder_script" "unitsync_agent" {
  agent_id     = coder_agent.main.id
  display_name = "unitsync agent"
  run_on_start = true
  script       = <<-EOT
    #!/bin/sh
    nohup unitsync agent >/tmp/unitsync-agent.log 2>&1 &
    ${local.unitsync_wait}
  EOT
}

resource "coder_script" "git_clone" {
  agent_id     = coder_agent.main.id
  display_name = "Clone the repository"
  run_on_start = true
  script       = <<-EOT
    #!/bin/sh
    set -e
    ${local.unitsync_wait}
    unitsync run git-clone -- git clone --depth 1 https://git.example.com/team/app.git "$HOME/app"
  EOT
}

resource "coder_script" "dependencies" {
  agent_id     = coder_agent.main.id
  display_name = "Install dependencies"
  run_on_start = true
  script       = <<-EOT
    #!/bin/sh
    set -e
    ${local.unitsync_wait}
    unitsync run dependencies --after git-clone -- sh -c 'cd "$HOME/app" && npm ci'
  EOT
}

resource "coder_script" "code_server" {
  agent_id     = coder_agent.main.id
  display_name = "code-server"
  run_on_start = true
  script       = <<-EOT
    #!/bin/sh
    set -e
    ${local.unitsync_wait}
    unitsync run ide --after git-clone,dependencies -- sh -c 'code-server --auth none --port 13337 "$HOME/app" >/tmp/code-server.log 2>&1 &'
  EOT
}

# Anyone can follow the start-up live from a terminal in the workspace:
#   unitsync watch          # a table that redraws as each step changes
#   unitsync timeline       # afterwards: waits, run times and the critical chain
