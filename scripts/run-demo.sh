#!/usr/bin/env bash
# make run: start a node (embedded gateway, SU and CU), publish the example
# process module, spawn it with a cron, message it, show its results and its
# ticks, verify its log from the gateway alone, then keep the node running
# until Ctrl-C.
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
cu_url="$url/cu"
su_addr=$(curl -fsS "$url/node" | sed -n 's/.*"su":{[^}]*"address":"\([^"]*\)".*/\1/p')

wallet="$data/demo-wallet.json"
[ -f "$wallet" ] || "$bin" wallet new --type ed25519 -o "$wallet" >/dev/null
post() { curl -fsS -X POST -H 'Content-Type: application/octet-stream' --data-binary "@$1" "$su_url/"; }

json_field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
sign() { "$bin" item sign --wallet "$wallet" --anchor "$(printf '%032d' "$(date +%s%N)")" "$@"; }

echo
echo "1. Build the example process (examples/counter, Go compiled to wasm) and publish it as a module:"
GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0 go build -buildmode=c-shared -trimpath -o "$data/counter.wasm" ./examples/counter
module=$(sign --tag Data-Protocol=ao --tag Variant=ao.TN.1 --tag Type=Module --tag Module-Format=wasm32-wasip1-aogo \
  --tag Input-Encoding=JSON-V1 --tag Output-Encoding=JSON-V1 --tag Memory-Limit=256-mb --tag Compute-Limit=9000000000000 \
  --data-file "$data/counter.wasm" -o "$data/module.bin")
curl -fsS -X POST -H 'Content-Type: application/octet-stream' --data-binary "@$data/module.bin" "$url/tx" >/dev/null
echo "   module $module ($(wc -c < "$data/counter.wasm") bytes)"

echo "2. Spawn a process of it on the node's scheduler, with a cron every 5 seconds:"
proc=$(sign --tag Data-Protocol=ao --tag Variant=ao.TN.1 --tag Type=Process --tag Module="$module" \
  --tag Scheduler="$su_addr" --tag Name=aogo-demo --tag Cron-Interval=5-seconds --tag Cron-Tag-Action=Tick \
  --data "demo process" -o "$data/process.bin")
post "$data/process.bin" >/dev/null
echo "   process $proc"

echo "3. Say Hello; the SU orders it, the CU evaluates it:"
mid=$(sign --target "$proc" --tag Data-Protocol=ao --tag Variant=ao.TN.1 --tag Type=Message --tag Action=Hello \
  --data "" -o "$data/msg.bin")
post "$data/msg.bin" >/dev/null
result=$(curl -fsS "$cu_url/result/$mid?process-id=$proc")
echo "   Output:  $(echo "$result" | json_field Output)"
echo "   Reply:   $(echo "$result" | sed -n 's/.*"Messages":\[\([^]]*\)\].*/\1/p' | cut -c1-120)..."
curl -fsS "$su_url/$mid?process-id=$proc" | tr '{' '\n' | grep -o '"name":"\(Nonce\|Timestamp\|Hash-Chain\)","value":"[^"]*"' \
  | sed 's/"name":"\([^"]*\)","value":"\([^"]*\)"/\1=\2/' | paste -d' ' - - - | sed 's/^/   Assignment: /'

echo "4. Wait 11 seconds: the process wakes on its own (cron ticks at its spawn time + 5 s, + 10 s):"
sleep 11
curl -fsS "$cu_url/cron/$proc" | grep -o '"Output":"[^"]*"' | sed 's/"Output":"\(.*\)"/   \1/'
sid=$(sign --target "$proc" --tag Data-Protocol=ao --tag Variant=ao.TN.1 --tag Type=Message --tag Action=Stats \
  --data "" -o "$data/msg.bin")
post "$data/msg.bin" >/dev/null
echo "   Stats:   $(curl -fsS "$cu_url/result/$sid?process-id=$proc" | sed -n 's/.*"Output":"\(.*\)","Messages.*/\1/p' | sed 's/\\"/"/g')"

echo "5. The log reaches the gateway in bundles; verify it from the gateway alone:"
for _ in $(seq 1 50); do
  curl -fsS "$url/node" | grep -q '"lag":0' && break
  sleep 0.2
done
"$bin" su verify --process "$proc" --gateway "$url" | sed 's/^/   /'

cat <<MSG

aogo node is running at $url (data in $data/node):
  curl $url/node            # the units and their URLs
  curl $su_url/$proc        # the process's log (the SU)
  curl $cu_url/results/$proc   # its results (the CU)
  curl $cu_url/cron/$proc      # its cron ticks so far
  curl $su_url/timestamp    # the scheduler's seal
  curl $url/graphql -H 'Content-Type: application/json' \\
    -d '{"query":"{ transactions(tags:[{name:\"Type\",values:[\"Assignment\"]}]) { edges { node { id } } } }"}'

Press Ctrl-C to stop.
MSG
wait $pid
