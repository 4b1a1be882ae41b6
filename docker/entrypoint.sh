#!/bin/sh
# Bring the schema to head, then serve. Extra arguments go to `serve` (e.g. --no-jobs).
set -e
rsc-service migrate
exec rsc-service serve --host "${RSC_SERVER__HOST:-0.0.0.0}" "$@"
