# The live start-up page in a Coder workspace (snippet: add to the template beside main.tf). A
# coder_script serves `unitsync web` on loopback; a coder_app puts it on the workspace dashboard,
# proxied by Coder, so the table, graph and timeline update there as each step completes.

data "coder_workspace" "me" {}

locals {
  unitsync_web_port = 9460
  # Coder's proxy forwards the dashboard's own Host; the page answers it by name (it refuses any
  # other name, so a web page elsewhere cannot read it through a rebound DNS name).
  coder_host = regex("^[a-z]+://([^/:]+)", data.coder_workspace.me.access_url)[0]
}

resource "coder_script" "unitsync_web" {
  agent_id     = coder_agent.main.id
  display_name = "unitsync start-up page"
  run_on_start = true
  script       = <<-EOT
    #!/bin/sh
    timeout 30 sh -c 'until unitsync ping >/dev/null 2>&1; do sleep 0.1; done'
    nohup unitsync web --listen 127.0.0.1:${local.unitsync_web_port} --allow-host ${local.coder_host} >/tmp/unitsync-web.log 2>&1 &
  EOT
}

resource "coder_app" "startup" {
  agent_id     = coder_agent.main.id
  slug         = "startup"
  display_name = "Start-up"
  icon         = "/icon/widgets.svg"
  url          = "http://127.0.0.1:${local.unitsync_web_port}/"
  share        = "owner"
  subdomain    = false

  healthcheck {
    url       = "http://127.0.0.1:${local.unitsync_web_port}/state.json"
    interval  = 5
    threshold = 6
  }
}
