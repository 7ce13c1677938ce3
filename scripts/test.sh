#!/usr/bin/env bash
# The whole test suite, from a fresh machine of this kind: installs what the tests need when it is
# missing (Debian packages, npm packages of the test peers), then builds and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests use; installed only when missing.
need_pkgs=()
command -v mvn >/dev/null 2>&1 || need_pkgs+=(maven)
command -v java >/dev/null 2>&1 || need_pkgs+=(openjdk-17-jdk-headless)
command -v node >/dev/null 2>&1 || need_pkgs+=(nodejs npm)
command -v openssl >/dev/null 2>&1 || need_pkgs+=(openssl)  # TLS tests generate their certificate with it
[ -x /usr/bin/chromium ] || need_pkgs+=(chromium) # the browser client's end-to-end tests (e2e/)
command -v redis-server >/dev/null 2>&1 || need_pkgs+=(redis-server) # the Redis broker/history tests start their own
[ -x /usr/sbin/nginx ] || need_pkgs+=(nginx) # the cluster tests put nginx (deploy/nginx.conf) in front of the nodes
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "test.sh: installing ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  # The packages' own services are not wanted (every test starts its own redis-server and nginx on free ports), and
  # a service already running on this machine is not ours to stop: a policy-rc.d that refuses every start (exit 101)
  # keeps the install from starting any, and is removed afterwards only if this script put it there.
  policy=/usr/sbin/policy-rc.d
  own_policy=false
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# written by wschat scripts/test.sh for one apt-get install\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    own_policy=true
    trap 'if "$own_policy"; then rm -f "$policy"; fi' EXIT
  fi
  apt-get install -y -q "${need_pkgs[@]}"
  if "$own_policy"; then
    rm -f "$policy"
    own_policy=false
  fi
fi

# Maven with a retry: the Autobahn fuzzing client (Jython, inside Maven's JVM) has been seen to stop between
# two cases and wait forever; its target server then ends the build with status 75 within a minute
# (AutobahnEchoServer), and the same build runs again, three times at most.
mvn_retrying() {
  local attempt status
  for attempt in 1 2 3; do
    set +e
    mvn -B -ntp "$@"
    status=$?
    set -e
    [ "$status" -eq 75 ] || return "$status"
    echo "test.sh: the Autobahn fuzzing client hung (attempt $attempt of 3)"
  done
  return "$status"
}

# The Socket.IO peer the bench's SocketIoPeerTest runs (bench/peer/README.md).
(cd bench/peer && npm ci --no-audit --no-fund --loglevel=error)
rm -rf target/autobahntestsuite-reports
# Every module and every test, with Autobahn sections 1-5 and 10.
mvn_retrying verify "$@"
# Autobahn sections 6 and 7 in runs of about 100 cases each (server/pom.xml says why); the last run checks
# that all 247 conformance cases ended OK or INFORMATIONAL.
autobahn_only=(-pl server -am verify -Dtest=NoSuchTest -Dsurefire.failIfNoSpecifiedTests=false
  -Dit.test=AutobahnReportIT)
mvn_retrying "${autobahn_only[@]}" -Dautobahn.cases='6.*' -Dautobahn.cases2='6.*' -Dautobahn.cases3='6.*' \
  -Dautobahn.exclude1='6.22.*' -Dautobahn.exclude2='6.23.*' "$@"
mvn_retrying "${autobahn_only[@]}" -Dautobahn.cases='6.22.*' -Dautobahn.cases2='6.23.*' -Dautobahn.cases3='7.*' \
  -Dautobahn.exclude1=0.0.0 -Dautobahn.exclude2=0.0.0 -Dautobahn.all=true "$@"

# The browser client end to end: headless Chromium (playwright-core) against the JAR just built.
(cd e2e && npm ci --no-audit --no-fund && npm test)

# The tutorial's protocol spoken by Node `ws` clients against the tutorial's own server and ours.
(cd compat && npm ci --no-audit --no-fund --loglevel=error)
node --test compat/
