# unitsync in a Coder template, declared (snippet: add to your template's main.tf, with
# unitsync.yaml beside it). One coder_script runs the whole start-up plan with `unitsync up -f`:
# an agent, every unit in parallel in its declared order, locks, readiness, retries and a budget,
# with a log per unit in /tmp/unitsync-logs. The plan travels inside the template, so a change to
# the start-up is a change to unitsync.yaml, checked with `unitsync check -f unitsync.yaml`.
# The workspace image needs the unitsync command on PATH (e.g. the single executable, make sea).

resource "coder_script" "startup" {
  agent_id     = coder_agent.main.id
  display_name = "Start-up (unitsync)"
  run_on_start = true
  # `up` stays the parent of the plan's services (code-server), so this script keeps running.
  start_blocks_login = false
  script             = <<-EOT
    #!/bin/sh
    set -e
    mkdir -p "$HOME/.config/unitsync"
    echo '${base64encode(file("${path.module}/unitsync.yaml"))}' | base64 -d > "$HOME/.config/unitsync/unitsync.yaml"
    exec unitsync up -f "$HOME/.config/unitsync/unitsync.yaml" --log-dir /tmp/unitsync-logs
  EOT
}
