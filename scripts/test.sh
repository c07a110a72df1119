#!/usr/bin/env bash
# Builds XdpNet and runs every test: unit tests, and (as root) the integration tests in network namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
dotnet build XdpNet.sln -c Release -nologo -v q
dotnet test XdpNet.sln -c Release --no-build -nologo -v q --logger "console;verbosity=normal" "$@"
