-- process.lua: the process library of aogo-lua, the aos-like Lua module of
-- aogo. It gives a process the names and the behaviour aos users expect
-- (ao, Handlers, Send, Spawn, Assign, Inbox, Owner, Name, utils, json,
-- bint). The message pipeline itself runs in Go (host.go), which calls
-- back into what this file returns; the Go side also decodes msg and env
-- into tables, captures print into the Output, keeps the outbox and writes
-- the result. See docs/process-authoring.md.

local host = ...

local json = require("json")
local bintModule = require("bint")

local unpack = unpack or table.unpack

-- Lua 5.2+ load: a string chunk and an optional environment.
do
  local load51 = load
  function load(chunk, name, mode, env)
    local fn, err
    if type(chunk) == "string" then
      fn, err = loadstring(chunk, name)
    else
      fn, err = load51(chunk, name)
    end
    if fn and env ~= nil then setfenv(fn, env) end
    return fn, err
  end
end

------------------------------------------------------------------------
-- utils: functional helpers; every one of arity 2 or more is curried, so
-- utils.map(fn)(list) is utils.map(fn, list).
------------------------------------------------------------------------
local utils = { _version = "aogo-1" }

function utils.curry(fn, arity)
  assert(type(fn) == "function", "function is required as first argument")
  arity = arity or 2
  if arity < 2 then return fn end
  return function(...)
    local n = select("#", ...)
    if n >= arity then return fn(...) end
    local args = { ... }
    return utils.curry(function(...)
      local all = {}
      for i = 1, n do all[i] = args[i] end
      local m = select("#", ...)
      for i = 1, m do all[n + i] = (select(i, ...)) end
      return fn(unpack(all, 1, n + m))
    end, arity - n)
  end
end

function utils.isArray(t)
  if type(t) ~= "table" then return false end
  local n = 0
  for k in pairs(t) do
    if type(k) ~= "number" or k < 1 or k % 1 ~= 0 then return false end
    n = n + 1
  end
  return n == #t
end

utils.concat = utils.curry(function(a, b)
  local out = {}
  for _, v in ipairs(a) do out[#out + 1] = v end
  for _, v in ipairs(b) do out[#out + 1] = v end
  return out
end, 2)

utils.reduce = utils.curry(function(fn, initial, t)
  local acc = initial
  for k, v in pairs(t) do
    if acc == nil then acc = v else acc = fn(acc, v, k) end
  end
  return acc
end, 3)

utils.map = utils.curry(function(fn, data)
  local out = {}
  if utils.isArray(data) then
    for i, v in ipairs(data) do out[i] = fn(v, i) end
  else
    for k, v in pairs(data) do out[k] = fn(v, k) end
  end
  return out
end, 2)

utils.filter = utils.curry(function(fn, data)
  local out = {}
  for _, v in ipairs(data) do
    if fn(v) then out[#out + 1] = v end
  end
  return out
end, 2)

utils.find = utils.curry(function(fn, t)
  for _, v in pairs(t) do
    if fn(v) then return v end
  end
  return nil
end, 2)

utils.propEq = utils.curry(function(name, value, obj)
  return obj[name] == value
end, 3)

utils.prop = utils.curry(function(name, obj) return obj[name] end, 2)

utils.includes = utils.curry(function(value, t)
  for _, v in pairs(t) do
    if v == value then return true end
  end
  return false
end, 2)

function utils.reverse(t)
  local out = {}
  for i = #t, 1, -1 do out[#out + 1] = t[i] end
  return out
end

function utils.keys(t)
  local out = {}
  for k in pairs(t) do out[#out + 1] = k end
  return out
end

function utils.values(t)
  local out = {}
  for _, v in pairs(t) do out[#out + 1] = v end
  return out
end

-- compose(f, g, h)(x) is f(g(h(x))).
function utils.compose(...)
  local fns = { ... }
  return function(...)
    local res = { ... }
    for i = #fns, 1, -1 do res = { fns[i](unpack(res)) } end
    return unpack(res)
  end
end

-- matchesPattern(pattern, value, msg): "_" matches anything, a function is
-- called with (value, msg), a string with Lua pattern characters is a Lua
-- pattern (anything else is compared exactly), a table matches when one of
-- its patterns does.
function utils.matchesPattern(pattern, value, msg)
  if pattern == nil then return false end
  if pattern == "_" then return true end
  local kind = type(pattern)
  if kind == "function" then
    return pattern(value, msg) and true or false
  elseif kind == "string" then
    if type(value) ~= "string" then value = tostring(value) end
    if string.find(pattern, "[%^%$%(%)%%%.%[%]%*%+%?]") then
      return string.match(value, pattern) ~= nil
    end
    return value == pattern
  elseif kind == "table" then
    for _, sub in pairs(pattern) do
      if utils.matchesPattern(sub, value, msg) then return true end
    end
  end
  return false
end

-- matchesSpec(msg, spec): a function spec is called with msg; a table spec
-- needs every key to be present in msg (or its Tags) and match; a string
-- spec is the Action.
function utils.matchesSpec(msg, spec)
  local kind = type(spec)
  if kind == "function" then
    return spec(msg)
  elseif kind == "table" then
    for key, pattern in pairs(spec) do
      local value = msg[key]
      if value == nil and type(msg.Tags) == "table" then value = msg.Tags[key] end
      if value == nil then return false end
      if not utils.matchesPattern(pattern, value, msg) then return false end
    end
    return true
  elseif kind == "string" then
    return msg.Action ~= nil and msg.Action == spec
  end
  return false
end

------------------------------------------------------------------------
-- ao: the process's identity, its outbox and the functions that fill it.
------------------------------------------------------------------------
ao = ao or {}
ao._version = "aogo-1"
ao.id = ao.id or ""
ao._module = ao._module or ""
ao.authorities = ao.authorities or {}
ao.reference = ao.reference or 0
ao.env = ao.env or { Process = { Tags = {} }, Module = { Tags = {} } }

-- ao.outbox: the outbox of the current message lives in Go (it goes
-- straight to the result); reading ao.outbox.Messages, .Spawns or
-- .Assignments gives a copy.
ao.outbox = setmetatable({}, {
  __index = function(_, k)
    if k == "Messages" or k == "Spawns" or k == "Assignments" then return host.outbox(k) end
  end,
})

-- Fields of a message that never become tags when it is sent, and tags
-- that never become fields of a received message.
local notTags = { Target = true, Data = true, Anchor = true, Tags = true, From = true }
local reserved = {
  ["Data-Protocol"] = true, Variant = true, ["From-Process"] = true, ["From-Module"] = true,
  Type = true, From = true, Owner = true, Anchor = true, Target = true, Data = true,
  Tags = true, TagArray = true, ["Read-Only"] = true, Id = true, Signature = true,
  Cron = true, Epoch = true, Nonce = true, Timestamp = true, ["Block-Height"] = true,
  ["Hash-Chain"] = true, ["Forwarded-By"] = true,
}

-- tagMap turns [{name, value}] into {name = value}; the first tag of a
-- name wins.
local function tagMap(list)
  local m = {}
  if type(list) ~= "table" then return m end
  for _, t in ipairs(list) do
    if type(t) == "table" and t.name ~= nil and m[t.name] == nil then m[t.name] = t.value end
  end
  return m
end

local function trim(s) return (string.gsub(s, "^%s*(.-)%s*$", "%1")) end

-- ao.init reads the env: the process id, the module id and the
-- authorities (every Authority tag, each may list several addresses
-- separated by commas).
function ao.init(env)
  env.Process = env.Process or {}
  env.Module = env.Module or {}
  for _, item in ipairs({ env.Process, env.Module }) do
    if item.TagArray == nil then
      item.TagArray = item.Tags or {}
      item.Tags = tagMap(item.TagArray)
    end
  end
  ao.env = env
  ao.id = env.Process.Id or ""
  ao._module = env.Module.Id or ""
  ao.authorities = {}
  for _, t in ipairs(env.Process.TagArray) do
    if t.name == "Authority" and type(t.value) == "string" then
      for part in string.gmatch(t.value, "[^,]+") do
        local a = trim(part)
        if a ~= "" then ao.authorities[#ao.authorities + 1] = a end
      end
    end
  end
end

-- ao.isTrusted: whether a message's From can be believed. A message signed
-- by its sender (From = Owner) always can; one pushed on behalf of a
-- process (From = its From-Process tag) only when the signer is one of the
-- process's authorities, or when the process names no authority at all.
function ao.isTrusted(msg)
  if msg.From == msg.Owner then return true end
  if #ao.authorities == 0 then return true end
  for _, a in ipairs(ao.authorities) do
    if msg.Owner == a then return true end
  end
  return false
end

function ao.clearOutbox()
  host.clearOutbox()
end

-- ao.normalize copies every tag of msg that is not a reserved field into
-- msg itself (msg.Action, msg.Quantity, ...), without overwriting.
function ao.normalize(msg)
  for _, t in ipairs(msg.TagArray or {}) do
    local name = t.name
    if name ~= nil and not reserved[name] and msg[name] == nil then msg[name] = t.value end
  end
  return msg
end

-- ao.sanitize is a copy of msg that can be sent on: its own fields and
-- tags, without the fields of its delivery (ids, signatures, protocol
-- tags, functions).
local notForwarded = {
  Id = true, Signature = true, Owner = true, From = true, Target = true, Anchor = true,
  Epoch = true, Nonce = true, Timestamp = true, ["Block-Height"] = true, ["Hash-Chain"] = true,
  ["Forwarded-By"] = true, Cron = true, ["Read-Only"] = true, Tags = true, TagArray = true,
  ["Data-Protocol"] = true, Variant = true, Type = true, ["From-Process"] = true,
  ["From-Module"] = true, ["Pushed-For"] = true, Reference = true, Module = true,
}
function ao.sanitize(msg)
  local out = {}
  for k, v in pairs(msg) do
    local kind = type(v)
    if not notForwarded[k] and (kind == "string" or kind == "number" or kind == "boolean") then out[k] = v end
  end
  return out
end

local function tagValue(v)
  if type(v) == "string" then return v end
  if type(v) == "table" and getmetatable(v) == nil then return json.encode(v) end
  return tostring(v)
end

-- addTags appends a message's root fields (but those in skip) and its Tags
-- (a list of {name, value} or a table of name = value) to the flat list
-- {name1, value1, name2, value2, ...}.
local function addTags(list, msg, skip)
  local n = #list
  for k, v in pairs(msg) do
    if not skip[k] and type(k) == "string" and type(v) ~= "function" then
      list[n + 1], list[n + 2] = k, tagValue(v)
      n = n + 2
    end
  end
  local tags = msg.Tags
  if type(tags) == "table" then
    if #tags > 0 then
      for _, t in ipairs(tags) do
        list[n + 1], list[n + 2] = tostring(t.name), tagValue(t.value)
        n = n + 2
      end
    else
      for k, v in pairs(tags) do
        list[n + 1], list[n + 2] = tostring(k), tagValue(v)
        n = n + 2
      end
    end
  end
  return list
end

local function dataValue(v)
  if v == nil or type(v) == "string" then return v end
  if type(v) == "table" and getmetatable(v) == nil then return json.encode(v) end
  return tostring(v)
end

local function nextReference()
  ao.reference = ao.reference + 1
  local ref = tostring(ao.reference)
  return ref, string.rep("0", 32 - #ref) .. ref
end

-- The value ao.send and ao.spawn return: Target, Data, Anchor, Reference,
-- and onReply(fn), made when it is used.
local sentMeta = {
  __tostring = function() return "message added to outbox" end,
  __index = function(t, k)
    if k == "onReply" then
      local target, ref = rawget(t, "Target"), rawget(t, "Reference")
      return function(fn) Handlers.once({ From = target, ["X-Reference"] = ref }, fn) end
    end
  end,
}
local spawnMeta = {
  __tostring = function() return "spawn added to outbox" end,
  __index = function(t, k)
    if k == "onReply" then
      local ref = rawget(t, "Reference")
      return function(fn) Handlers.once({ Action = "Spawned", From = ao.id, Reference = ref }, fn) end
    end
  end,
}

-- ao.send(msg) puts a message in the outbox: Target, Data, a 32-digit
-- Anchor and the tags Data-Protocol, Variant, Type and Reference, then
-- every other field of msg and its Tags. It returns the message (Target,
-- Anchor, Data, Reference), with onReply(fn), which runs fn on the reply
-- (a message from Target whose X-Reference is this Reference). It is
-- written in Go (host.go, aoSend).
ao.send = host.aoSend

-- ao.spawn(module, msg) puts a process to spawn in the outbox. The child
-- inherits this process's authorities unless msg names its own. onReply(fn)
-- runs fn on the messenger's Spawned notice.
function ao.spawn(module, msg)
  assert(type(module) == "string", "ao.spawn: the module id must be a string")
  msg = msg or {}
  assert(type(msg) == "table", "ao.spawn: the message must be a table")
  local ref, anchor = nextReference()
  local tags = addTags({
    "Data-Protocol", "ao", "Variant", "ao.TN.1", "Type", "Process", "From-Process", ao.id,
    "From-Module", ao._module, "Module", module, "Reference", ref,
  }, msg, notTags)
  local hasAuthority = false
  for i = 1, #tags, 2 do
    if tags[i] == "Authority" then hasAuthority = true end
  end
  if not hasAuthority and #ao.authorities > 0 then
    tags[#tags + 1] = "Authority"
    tags[#tags + 1] = table.concat(ao.authorities, ",")
  end
  local data = dataValue(msg.Data) or "NODATA"
  host.spawn(anchor, data, tags)
  return setmetatable({ Anchor = anchor, Data = data, Reference = ref }, spawnMeta)
end

-- ao.assign({Processes = {pid, ...}, Message = id}) asks the messenger to
-- assign an existing message to other processes.
function ao.assign(assignment)
  assert(type(assignment) == "table", "ao.assign: the assignment must be a table")
  assert(type(assignment.Processes) == "table", "ao.assign: Processes must be a list of process ids")
  assert(type(assignment.Message) == "string", "ao.assign: Message must be a message id")
  local processes = {}
  for i, p in ipairs(assignment.Processes) do processes[i] = tostring(p) end
  host.assign(processes, assignment.Message)
  return { Processes = processes, Message = assignment.Message }
end

------------------------------------------------------------------------
-- Handlers: the list of (name, pattern, handle) a message is matched
-- against, in order.
------------------------------------------------------------------------
Handlers = Handlers or {}
Handlers._version = "aogo-1"
Handlers.list = Handlers.list or {}
Handlers.onceNonce = Handlers.onceNonce or 0
Handlers.utils = {}

function Handlers.utils.hasMatchingTag(name, value)
  assert(type(name) == "string" and type(value) == "string", "name and value must be strings")
  return function(msg) return msg.Tags[name] == value end
end

function Handlers.utils.hasMatchingTagOf(name, values)
  assert(type(name) == "string" and type(values) == "table", "name must be a string and values a table")
  return function(msg)
    for _, v in ipairs(values) do
      if msg.Tags[name] == v then return true end
    end
    return false
  end
end

function Handlers.utils.hasMatchingData(value)
  assert(type(value) == "string", "value must be a string")
  return function(msg) return msg.Data == value end
end

function Handlers.utils.reply(input)
  assert(type(input) == "table" or type(input) == "string", "input must be a table or a string")
  return function(msg)
    if type(input) == "string" then
      msg.reply({ Data = input })
    else
      msg.reply(input)
    end
  end
end

-- continue(pattern) matches as pattern does, but lets evaluation go on to
-- the next handlers.
function Handlers.utils.continue(pattern)
  return function(msg)
    local match = utils.matchesSpec(msg, pattern)
    if not match or match == 0 or match == "skip" then return 0 end
    return 1
  end
end

local function findHandler(name)
  for i, h in ipairs(Handlers.list) do
    if h.name == name then return i end
  end
  return nil
end

-- entry checks and normalizes the arguments of add: (name, handle) means
-- the pattern is the Action name; a string handle replies that string.
local function entry(fname, name, pattern, handle, maxRuns)
  if handle == nil then handle, pattern = pattern, name end
  assert(type(name) == "string", "Handlers." .. fname .. ": the name must be a string")
  if type(handle) == "string" then handle = Handlers.utils.reply(handle) end
  assert(type(handle) == "function", "Handlers." .. fname .. ": the handle must be a function")
  local kind = type(pattern)
  assert(kind == "function" or kind == "string" or kind == "table",
    "Handlers." .. fname .. ": the pattern must be a function, a string or a table")
  if maxRuns ~= nil and maxRuns ~= "inf" then
    assert(type(maxRuns) == "number" and maxRuns > 0, "Handlers." .. fname .. ": maxRuns must be a positive number or \"inf\"")
  end
  return { name = name, pattern = pattern, handle = handle, maxRuns = maxRuns or "inf" }
end

local function put(h, at)
  local i = findHandler(h.name)
  if i then
    Handlers.list[i] = h
  elseif at then
    table.insert(Handlers.list, at, h)
  else
    table.insert(Handlers.list, h)
  end
end

-- add(name, pattern, handle, maxRuns) appends a handler, or replaces the
-- one of that name where it stands.
function Handlers.add(name, pattern, handle, maxRuns)
  return put(entry("add", name, pattern, handle, maxRuns))
end

function Handlers.append(name, pattern, handle, maxRuns)
  return put(entry("append", name, pattern, handle, maxRuns))
end

function Handlers.prepend(name, pattern, handle, maxRuns)
  return put(entry("prepend", name, pattern, handle, maxRuns), 1)
end

-- once([name,] pattern, handle) adds, first in the list, a handler that
-- runs once.
function Handlers.once(...)
  local name, pattern, handle
  if select("#", ...) >= 3 then
    name, pattern, handle = ...
  else
    pattern, handle = ...
    Handlers.onceNonce = Handlers.onceNonce + 1
    name = "_once_" .. Handlers.onceNonce
  end
  return put(entry("once", name, pattern, handle, 1), 1)
end

function Handlers.before(target)
  return {
    add = function(name, pattern, handle, maxRuns)
      local h = entry("before", name, pattern, handle, maxRuns)
      local i = findHandler(target)
      assert(i, "Handlers.before: no handler named " .. tostring(target))
      return put(h, i)
    end,
  }
end

function Handlers.after(target)
  return {
    add = function(name, pattern, handle, maxRuns)
      local h = entry("after", name, pattern, handle, maxRuns)
      local i = findHandler(target)
      assert(i, "Handlers.after: no handler named " .. tostring(target))
      return put(h, i + 1)
    end,
  }
end

function Handlers.remove(name)
  local i = findHandler(name)
  if i then table.remove(Handlers.list, i) end
end

-- evaluate runs every handler whose pattern matches, in order. A pattern
-- answers true, -1 or "break" (run the handler and stop), "continue" or 1
-- (run it and go on), false, nil, 0 or "skip" (do not run it). When no
-- handler stopped the evaluation, the "_default" handler runs.
function Handlers.evaluate(msg, env)
  local handled = false
  local list = {}
  for i, h in ipairs(Handlers.list) do list[i] = h end
  for _, h in ipairs(list) do
    if h.name ~= "_default" then
      local match = utils.matchesSpec(msg, h.pattern)
      if match == true or match == "break" then
        match = -1
      elseif match == "continue" then
        match = 1
      elseif match == nil or match == false or match == "skip" then
        match = 0
      elseif type(match) ~= "number" then
        error("the pattern of handler " .. h.name .. " returned " .. tostring(match) ..
          ": a pattern must return a boolean, a number, \"continue\", \"break\" or \"skip\"", 0)
      end
      if match ~= 0 then
        if match < 0 then handled = true end
        h.handle(msg, env)
        if h.maxRuns ~= "inf" then
          h.maxRuns = h.maxRuns - 1
          if h.maxRuns <= 0 then Handlers.remove(h.name) end
        end
        if match < 0 then return handled end
      end
    end
  end
  if not handled then
    local i = findHandler("_default")
    if i then Handlers.list[i].handle(msg, env) end
  end
  return handled
end

------------------------------------------------------------------------
-- The process: globals, default handlers and the message pipeline.
------------------------------------------------------------------------
Inbox = Inbox or {}
MAX_INBOX_SIZE = MAX_INBOX_SIZE or 10000
Colors = Colors or { red = "\27[31m", green = "\27[32m", blue = "\27[34m", reset = "\27[0m", gray = "\27[90m" }
Bell = "\7"

local function shortId(s)
  s = tostring(s)
  if #s <= 9 then return s end
  return string.sub(s, 1, 3) .. "..." .. string.sub(s, -3)
end

-- _eval: Action = Eval, from the owner only (host.go, evalHandler).
Handlers.add("_eval", "Eval", host.evalHandler)

local function handlerNames()
  local names = {}
  for _, h in ipairs(Handlers.list) do names[#names + 1] = h.name end
  return names
end

-- _default: unhandled messages. Ping and Info are answered (a handler of
-- the process's own for them comes first), cron ticks are dropped, and
-- anything else is kept in Inbox.
Handlers.add("_default", function() return true end, function(msg)
  if msg.Action == "Ping" then
    msg.reply({ Action = "Pong", Data = "Pong" })
  elseif msg.Action == "Info" then
    local names = handlerNames()
    msg.reply({
      Name = Name, ["Process-Owner"] = Owner, ["Process-Id"] = ao.id, Handlers = table.concat(names, ","),
      Data = json.encode({ Name = Name, Owner = Owner, Process = ao.id, Module = ao._module, Handlers = names }),
    })
  elseif msg.Cron then
    return
  else
    table.insert(Inbox, msg)
    while #Inbox > MAX_INBOX_SIZE do table.remove(Inbox, 1) end
    host.log("New Message From " .. shortId(msg.From) .. ": Action = " .. tostring(msg.Action))
  end
end)

function Send(msg)
  return ao.send(msg)
end

-- Spawn([module,] msg): without a module, a process of this module.
function Spawn(...)
  local module, msg
  if select("#", ...) == 1 then
    module, msg = ao._module, ...
  else
    module, msg = ...
  end
  return ao.spawn(module, msg or {})
end

function Assign(assignment)
  return ao.assign(assignment)
end

function Prompt()
  return tostring(Name or "aos") .. "@aogo> "
end

-- The process's own owner: the signer of the process, or the process that
-- spawned it when the signer is trusted to say so.
local function processOwner(env)
  local p = env.Process
  local from = p.Tags["From-Process"]
  if from ~= nil then
    local owner = { From = from, Owner = p.Owner }
    if ao.isTrusted(owner) then return from end
  end
  return p.Owner
end

-- msg.forward(target, patch): msg (its own fields and tags, not those of
-- its delivery) sent on to target, with patch's fields on top, Reply-To
-- and X-Origin naming the original sender and X-Reference kept.
local function forward(msg)
  return function(target, patch)
    local out = ao.sanitize(msg)
    for k, v in pairs(patch or {}) do out[k] = v end
    out.Target = target
    out["Reply-To"] = rawget(msg, "Reply-To") or rawget(msg, "From")
    out["X-Reference"] = rawget(msg, "X-Reference") or rawget(msg, "Reference")
    out["X-Origin"] = rawget(msg, "X-Origin") or rawget(msg, "From")
    return ao.send(out)
  end
end

-- The metatable of messages: msg.TagArray, msg.reply and msg.forward are
-- made when first used (host.go, msgIndex and msgReply).
local msgMeta = { __index = host.msgIndex }

-- boot evaluates the process's own message: with On-Boot = Data, its Data
-- is Lua code run as the owner's Eval.
local function boot(msg)
  if ao.env.Process.Tags["On-Boot"] == "Data" and type(msg.Data) == "string" then
    host.eval(msg.Data)
  end
end

-- start reads the env (again when it changes) and sets the globals a
-- process starts with.
local function start(env)
  if ao.env ~= env then ao.init(env) end
  if Owner == nil then Owner = processOwner(env) end
  if Name == nil then Name = env.Process.Tags.Name or "aos" end
end

-- The library's modules, for require (aos names and short ones).
package.loaded["json"] = json
package.loaded[".json"] = json
package.loaded["utils"] = utils
package.loaded[".utils"] = utils
package.loaded["ao"] = ao
package.loaded[".ao"] = ao
package.loaded[".handlers"] = Handlers
package.loaded["handlers"] = Handlers
package.loaded["bint"] = bintModule
-- aos's require(".bint")(bits) gives a module of bits-wide integers; these
-- never overflow, so bits is ignored.
package.loaded[".bint"] = function() return bintModule end
bint = bintModule
_G.json = json
Utils = utils
_G.utils = utils

-- What the Go side needs: it runs the message pipeline (host.go: the
-- message is prepared, then Handlers are evaluated, or boot runs for the
-- process's own message).
return { start = start, boot = boot, msgMeta = msgMeta, sentMeta = sentMeta, forward = forward }
