#!/usr/bin/env bash
# make run: start the embedded gateway, put a signed demo item into it, show
# how to read it back, and keep serving until Ctrl-C.
set -euo pipefail
bin=${1:-bin/aogo}; data=${2:-.aogo}; listen=${3:-127.0.0.1:4400}
url="http://$listen"
mkdir -p "$data"

"$bin" gateway --listen "$listen" --data-dir "$data/gateway" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT INT TERM
for _ in $(seq 1 100); do
  curl -fsS "$url/info" >/dev/null 2>&1 && break
  kill -0 $pid 2>/dev/null || { echo "aogo gateway exited" >&2; exit 1; }
  sleep 0.1
done

wallet="$data/demo-wallet.json"
[ -f "$wallet" ] || "$bin" wallet new --type ed25519 -o "$wallet" >/dev/null
item="$data/demo-item.bin"
id=$("$bin" item sign --wallet "$wallet" --tag Content-Type=text/plain --tag App-Name=aogo-demo \
      --data "hello from aogo, $(date -u +%FT%TZ)" -o "$item")
curl -fsS -X POST -H 'Content-Type: application/octet-stream' --data-binary "@$item" "$url/tx" >/dev/null

cat <<MSG

aogo gateway is running at $url (data in $data/gateway). A demo item was signed and stored:

  curl $url/raw/$id
  curl $url/tx/$id/status
  curl -s $url/graphql -H 'Content-Type: application/json' \\
    -d '{"query":"{ transactions(tags:[{name:\"App-Name\",values:[\"aogo-demo\"]}]) { edges { node { id tags { name value } } } } }"}'

Sign and post your own:
  $bin wallet new -o my-wallet.json
  $bin item sign --wallet my-wallet.json --tag Type=Message --data hi -o item.bin
  curl --data-binary @item.bin -H 'Content-Type: application/octet-stream' $url/tx

Press Ctrl-C to stop.
MSG
curl -fsS "$url/raw/$id"; echo
wait $pid
