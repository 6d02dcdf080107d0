#!/usr/bin/env bash
# make run: start a node (gateway, SU, CU, MU) on embedded defaults and tell
# a short story with its built-in modules: two Lua processes of aogo-lua
# (driven as aogo aos drives them) greet each other; then processes of the
# Go counter (examples/counter) talk, one spawns a child, one ticks on a
# cron while the MU monitors it; then verify a log from the gateway alone
# and keep the node running until Ctrl-C.
set -euo pipefail
bin=${1:-bin/aogo}; data=${2:-.aogo}; listen=${3:-127.0.0.1:4400}
url="http://$listen"
mkdir -p "$data"

"$bin" node --listen "$listen" --data-dir "$data/node" > "$data/node.log" &
node=$!
# On the way out, stop C's monitor (monitors are durable: each run would
# leave one more process ticking in the data directory), then the node.
C=
stop() {
  [ -z "$C" ] || ao unmonitor "$C" >/dev/null 2>&1 || true
  kill $node 2>/dev/null; wait $node 2>/dev/null
}
trap stop EXIT INT TERM
for _ in $(seq 1 100); do
  curl -fsS "$url/node" >/dev/null 2>&1 && break
  kill -0 $node 2>/dev/null || { echo "aogo node exited (its output: $data/node.log)" >&2; exit 1; }
  sleep 0.1
done

wallet="$data/demo-wallet.json"
[ -f "$wallet" ] || "$bin" wallet new --type ed25519 -o "$wallet" >/dev/null
ao() { "$bin" "$@" --node "$url" --wallet "$wallet"; }
# stat PID NAME: one counter of the process's Stats (a dry-run: nothing is
# scheduled).
stat() { ao dry-run "$1" --tag Action=Stats | sed -n "s/.*\"$2\":\([^,}]*\).*/\1/p"; }
# wait_stat PID NAME VALUE-PATTERN: until the counter matches (10 s at most).
wait_stat() {
  for _ in $(seq 1 50); do
    stat "$1" "$2" | grep -qE "$3" && return 0
    sleep 0.2
  done
  echo "   (still waiting for $2 to match $3; see $data/node.log)" >&2
}
short() { echo "${1:0:8}…"; }

if ! curl -fsS "$url/node" | grep -q '"counter":'; then
  echo "this aogo has no built-in counter module: build it with make build (it runs make builtin-modules)" >&2
  exit 1
fi

echo
echo "aogo node at $url; it published its built-in modules aogo-lua (Lua) and counter (Go)"
echo
# lua NAME: run Lua lines (stdin) in your process NAME of the aogo-lua module,
# as aogo aos does at its prompt (it spawns the process the first time).
lua() { "$bin" aos "$1" --node "$url" --wallet "$wallet" 2>/dev/null; }
echo "1. Your Lua process: aogo aos sends each line as an Eval message and prints the answer:"
echo "   alice@aogo> 1 + 41"
echo "   $(echo '1 + 41' | lua alice)"
echo "   alice@aogo> .load greeter.lua      (a handler: greet back whoever sends Action=Greet)"
cat > "$data/greeter.lua" <<'LUA'
Greeted = Greeted or 0
Handlers.add("greet", Handlers.utils.hasMatchingTag("Action", "Greet"), function(msg)
  Greeted = Greeted + 1
  msg.reply({ Action = "Greeting", Data = "hello back" })
end)
LUA
echo ".load $data/greeter.lua" | lua alice >/dev/null
alice=$(echo 'ao.id' | lua alice)
echo "2. Another process, bob, greets alice; the MU carries the message and her reply:"
echo "   bob@aogo> Send({ Target = alice, Action = \"Greet\" })"
before=$(echo '#Inbox' | lua bob)   # 0 on a first run: the data directory is kept
echo "Send({ Target = \"$alice\", Action = \"Greet\" })" | lua bob >/dev/null
for _ in $(seq 1 50); do [ "$(echo '#Inbox' | lua bob)" -gt "$before" ] && break; sleep 0.2; done
echo "   bob@aogo> Inbox[#Inbox].Data"
echo "   $(echo 'Inbox[#Inbox].Data' | lua bob)"
echo "   alice@aogo> Greeted"
echo "   $(echo 'Greeted' | lua alice)"
echo "   (try it yourself: $bin aos alice --node $url --wallet $wallet)"

echo "3. The same in Go (examples/counter): spawn two processes, A and B:"
A=$(ao spawn --module counter --tag Name=A)
B=$(ao spawn --module counter --tag Name=B)
echo "   A = $A"
echo "   B = $B"

echo "4. Say Hello to A; the SU orders the message, the CU evaluates it:"
mid=$(ao send "$A" --tag Action=Hello)
echo "   A's output: $(ao result "$A" "$mid")"
reply=$(ao result "$A" "$mid" --json | tr -d '\n' | sed -n 's/.*"Data": *"\([^"]*\)".*/\1/p')
echo "   A's reply to you: \"$reply\" (Action=Hello-Reply)"

echo "5. Ask A to send 3 notes to B; the MU carries A's outbox to B:"
ao send "$A" --tag Action=Send --tag To="$B" --tag Count=3 >/dev/null
wait_stat "$B" notes '^3$'
echo "   B's stats: notes=$(stat "$B" notes)"

echo "6. Ask A to spawn a child; the MU spawns it and tells A (Spawned):"
ao send "$A" --tag Action=Spawn >/dev/null
wait_stat "$A" children '^\["'
echo "   A's stats: children=$(stat "$A" children)"

echo "7. Spawn C with a cron (a Tick every 2 seconds, each notifying B) and monitor it:"
C=$(ao spawn --module counter --tag Name=C --tag Cron-Interval=2-seconds --tag Cron-Tag-Action=Tick --tag Notify="$B")
echo "   C = $C; $(ao monitor "$C")"
echo "   waiting 6 seconds; nobody sends C anything..."
sleep 6
wait_stat "$B" notices '^[1-9]'
echo "   B's stats: notices=$(stat "$B" notices) (tick notices from C)"

echo "8. The SU's log reaches the gateway in bundles; verify A's from the gateway alone:"
for _ in $(seq 1 50); do
  curl -fsS "$url/node" | grep -q '"lag":0' && break
  sleep 0.2
done
"$bin" su verify --process "$A" --gateway "$url" | sed 's/^/   /'

cat <<MSG

The node keeps running at $url (data in $data/node, its output in $data/node.log). Try:
  curl $url/node
  $bin results $A --node $url
  $bin dry-run $B --tag Action=Stats --node $url
  $bin send $A --tag Action=Hello --node $url --wallet $wallet
  $bin aos alice --node $url --wallet $wallet     # a Lua prompt on alice

Press Ctrl-C to stop.
MSG
wait $node
