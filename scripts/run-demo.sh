#!/usr/bin/env bash
# make run: start a node (embedded gateway + SU), spawn a demo process on its
# scheduler, send it messages, show the hash-chained log and verify it from
# the gateway alone, then keep the node running until Ctrl-C.
set -euo pipefail
bin=${1:-bin/aogo}; data=${2:-.aogo}; listen=${3:-127.0.0.1:4400}
url="http://$listen"
mkdir -p "$data"

"$bin" node --listen "$listen" --data-dir "$data/node" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT INT TERM
for _ in $(seq 1 100); do
  curl -fsS "$url/node" >/dev/null 2>&1 && break
  kill -0 $pid 2>/dev/null || { echo "aogo node exited" >&2; exit 1; }
  sleep 0.1
done
su_url="$url/su"
su_addr=$(curl -fsS "$url/node" | sed -n 's/.*"su":{[^}]*"address":"\([^"]*\)".*/\1/p')

wallet="$data/demo-wallet.json"
[ -f "$wallet" ] || "$bin" wallet new --type ed25519 -o "$wallet" >/dev/null
post() { curl -fsS -X POST -H 'Content-Type: application/octet-stream' --data-binary "@$1" "$su_url/"; }

echo
echo "1. A module item in the gateway (the CU that runs modules comes with a later issue):"
module=$("$bin" item sign --wallet "$wallet" --tag Data-Protocol=ao --tag Variant=ao.TN.1 --tag Type=Module \
  --tag Module-Format=wasm32-unknown-emscripten-metering --tag Input-Encoding=JSON-V1 --tag Output-Encoding=JSON-V1 \
  --tag Memory-Limit=16-mb --tag Compute-Limit=9000000000000 --data "demo module placeholder" -o "$data/module.bin")
curl -fsS -X POST -H 'Content-Type: application/octet-stream' --data-binary "@$data/module.bin" "$url/tx" >/dev/null
echo "   $module"

echo "2. Spawn a process on the node's scheduler ($su_addr):"
proc=$("$bin" item sign --wallet "$wallet" --tag Data-Protocol=ao --tag Variant=ao.TN.1 --tag Type=Process \
  --tag Module="$module" --tag Scheduler="$su_addr" --tag Name=aogo-demo \
  --anchor "$(printf '%032d' "$(date +%s%N)")" --data "demo process" -o "$data/process.bin")
echo "   POST $su_url/ -> $(post "$data/process.bin")"

echo "3. Send it three messages; each gets a nonce, a timestamp and a hash-chain link:"
for i in 1 2 3; do
  "$bin" item sign --wallet "$wallet" --target "$proc" --tag Data-Protocol=ao --tag Variant=ao.TN.1 \
    --tag Type=Message --tag Action=Hello --data "hello #$i at $(date -u +%T)" -o "$data/msg.bin" >/dev/null
  post "$data/msg.bin" >/dev/null
done
curl -fsS "$su_url/$proc?process-id=$proc" | tr '{' '\n' | grep -o '"name":"\(Nonce\|Timestamp\|Hash-Chain\)","value":"[^"]*"' \
  | sed 's/"name":"\([^"]*\)","value":"\([^"]*\)"/\1=\2/' | paste -d' ' - - - | sed 's/^/   /'

echo "4. The log reaches the gateway in bundles; verify it from the gateway alone:"
for _ in $(seq 1 50); do
  curl -fsS "$url/node" | grep -q '"lag":0' && break
  sleep 0.2
done
"$bin" su verify --process "$proc" --gateway "$url" | sed 's/^/   /'

cat <<MSG

aogo node is running at $url (data in $data/node):
  curl $url/node            # the units and their URLs
  curl $su_url/$proc        # the process's log
  curl $su_url/timestamp    # the scheduler's seal
  curl $url/graphql -H 'Content-Type: application/json' \\
    -d '{"query":"{ transactions(tags:[{name:\"Type\",values:[\"Assignment\"]}]) { edges { node { id } } } }"}'

Press Ctrl-C to stop.
MSG
wait $pid
