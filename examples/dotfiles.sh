#!/usr/bin/env bash
# Install dotfiles after env-setup, with the EXIT-trap pattern from coder's quick start: the unit
# is completed however the script exits. (`unitsync run` completes on success and fails otherwise.)
set -euo pipefail
UNIT_NAME="dotfiles"
WORKSPACE="${WORKSPACE:-$(mktemp -d)}"
mkdir -p "$WORKSPACE"

trap 'unitsync complete dotfiles' EXIT
unitsync want "$UNIT_NAME" env-setup
unitsync start "$UNIT_NAME"

echo "dotfiles: linking into $WORKSPACE/home"
mkdir -p "$WORKSPACE/home"
sleep 0.3
printf 'alias ll="ls -l"\n' >"$WORKSPACE/home/.bashrc"
echo "dotfiles: installed .bashrc"
