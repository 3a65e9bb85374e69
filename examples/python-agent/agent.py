#!/usr/bin/env python3
"""A VisionFlow agent in Python, written from schemas/ and docs/protocol.md ("Remote actors") alone.

It dials the node's remote-actor endpoint (ws://HOST:PORT/remote), does the agent handshake
(RemoteHello with its token, RemoteChallenge, RemoteProof, RemoteWelcome), registers with the
node's swarms (AgentRegister in an Envelope in a RemoteFrame), sends heartbeats, and runs tasks:
each TaskAssigned is a small real job, a word count of the task's input, answered by a
TaskProgress and a TaskCompleted whose result is JSON. Envelopes are numbered (first_seq), the
node's are acknowledged (ack), unacknowledged ones are sent again after a reconnect, and a frame
goes out at least every heartbeat interval the node asked for.

Usage:
  examples/python-agent/generate.sh            # once: the FlatBuffers code, into ./generated
  python3 examples/python-agent/agent.py --url http://127.0.0.1:8080 --token AGENT_TOKEN

The token (role agent) names the agent: its subject is the agent id, the agent's system address.
Exit status: 0 stopped (SIGINT/SIGTERM, or --max-tasks done), 1 failed, 2 usage, 3 refused.
"""
import argparse
import base64
import collections
import json
import os
import random
import re
import signal
import sys
import time
import urllib.error
import urllib.request

import flatbuffers
import websocket  # websocket-client

PROTOCOL_VERSION = 1
FRAME_ID = b"VFRM"
SWARMS_PATH = "/app/agents/swarms"
# The agent's one actor: where the node's messages go (the envelope sender of our messages).
AGENT_ACTOR = "/agent"
MAX_UNACKED = 10_000
MAX_FRAME_BYTES = 4 << 20

vf = None  # the generated package, imported in main() once its folder is known


def log(message):
    print(f"{time.strftime('%H:%M:%S')} {message}", flush=True)


class Refused(Exception):
    """The node refused this agent (an ErrorReply to its registration, or the handshake)."""


def token_subject(token):
    payload = token.split(".", 1)[0]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims["sub"]


def discover(base_url):
    """The node's address and remote URL from its HTTP base: GET /remote answers 426 with JSON."""
    scheme, rest = base_url.split("://", 1)
    host = rest.split("/", 1)[0].split("?", 1)[0]
    http = "https" if scheme in ("https", "wss") else "http"
    probe = f"{http}://{host}/remote"
    try:
        with urllib.request.urlopen(probe, timeout=5) as response:
            body = response.read(4096)
    except urllib.error.HTTPError as error:  # 426 is the expected answer
        body = error.read(4096)
    address = json.loads(body)["address"]
    return address, f"{'wss' if http == 'https' else 'ws'}://{host}/remote"


# ---- building frames ---------------------------------------------------------------------------


def u64(value):
    return max(0, min(int(value), 2**53 - 1))


def string_vector(b, strings, start_vector):
    offsets = [b.CreateString(s) for s in strings]
    start_vector(b, len(offsets))
    for offset in reversed(offsets):
        b.PrependUOffsetTRelative(offset)
    return b.EndVector()


def build_register(b, m):
    ids = {k: b.CreateString(m[k]) for k in ("agent_id", "agent_type", "name", "swarm")}
    caps = string_vector(b, m["capabilities"], vf.AgentRegister.AgentRegisterStartCapabilitiesVector)
    vf.AgentRegister.AgentRegisterStart(b)
    vf.AgentRegister.AgentRegisterAddAgentId(b, ids["agent_id"])
    vf.AgentRegister.AgentRegisterAddAgentType(b, ids["agent_type"])
    vf.AgentRegister.AgentRegisterAddName(b, ids["name"])
    vf.AgentRegister.AgentRegisterAddCapabilities(b, caps)
    vf.AgentRegister.AgentRegisterAddSwarm(b, ids["swarm"])
    vf.AgentRegister.AgentRegisterAddMaxConcurrent(b, m["max_concurrent"])
    return vf.AgentRegister.AgentRegisterEnd(b)


def build_heartbeat(b, m):
    agent_id = b.CreateString(m["agent_id"])
    vf.AgentHeartbeat.AgentHeartbeatStart(b)
    vf.AgentHeartbeat.AgentHeartbeatAddAgentId(b, agent_id)
    vf.AgentHeartbeat.AgentHeartbeatAddCpuPercent(b, max(0.0, min(100000.0, m["cpu_percent"])))
    vf.AgentHeartbeat.AgentHeartbeatAddMemoryBytes(b, u64(m["memory_bytes"]))
    vf.AgentHeartbeat.AgentHeartbeatAddActiveTasks(b, m["active_tasks"])
    vf.AgentHeartbeat.AgentHeartbeatAddHealth(b, 1.0)
    return vf.AgentHeartbeat.AgentHeartbeatEnd(b)


def build_progress(b, m):
    task_id, agent_id, partial = (b.CreateString(m[k]) for k in ("task_id", "agent_id", "partial"))
    vf.TaskProgress.TaskProgressStart(b)
    vf.TaskProgress.TaskProgressAddTaskId(b, task_id)
    vf.TaskProgress.TaskProgressAddAgentId(b, agent_id)
    vf.TaskProgress.TaskProgressAddProgress(b, max(0.0, min(1.0, m["progress"])))
    vf.TaskProgress.TaskProgressAddPartialResult(b, partial)
    vf.TaskProgress.TaskProgressAddAttempt(b, m["attempt"])
    return vf.TaskProgress.TaskProgressEnd(b)


def build_completed(b, m):
    task_id, agent_id, result = (b.CreateString(m[k]) for k in ("task_id", "agent_id", "result"))
    vf.TaskCompleted.TaskCompletedStart(b)
    vf.TaskCompleted.TaskCompletedAddTaskId(b, task_id)
    vf.TaskCompleted.TaskCompletedAddAgentId(b, agent_id)
    vf.TaskCompleted.TaskCompletedAddSuccess(b, True)
    vf.TaskCompleted.TaskCompletedAddResult(b, result)
    vf.TaskCompleted.TaskCompletedAddDurationMs(b, max(0.0, m["duration_ms"]))
    vf.TaskCompleted.TaskCompletedAddAttempt(b, m["attempt"])
    return vf.TaskCompleted.TaskCompletedEnd(b)


def build_error(b, m):
    agent_id, task_id, message = (b.CreateString(m[k]) for k in ("agent_id", "task_id", "message"))
    vf.AgentError.AgentErrorStart(b)
    vf.AgentError.AgentErrorAddAgentId(b, agent_id)
    vf.AgentError.AgentErrorAddTaskId(b, task_id)
    vf.AgentError.AgentErrorAddMessage(b, message)
    vf.AgentError.AgentErrorAddRecoverable(b, m["recoverable"])
    vf.AgentError.AgentErrorAddAttempt(b, m["attempt"])
    return vf.AgentError.AgentErrorEnd(b)


class Outgoing:
    """One envelope to send: its seq, recipient, payload type and a builder of its payload table."""

    def __init__(self, seq, recipient, payload_type, build, message):
        self.seq, self.recipient, self.payload_type, self.build, self.message = seq, recipient, payload_type, build, message


def envelope(b, out, sender):
    payload = out.build(b, out.message)
    recipient = b.CreateString(out.recipient)
    sender_at = b.CreateString(sender)
    vf.Envelope.EnvelopeStart(b)
    vf.Envelope.EnvelopeAddVersion(b, PROTOCOL_VERSION)
    vf.Envelope.EnvelopeAddSender(b, sender_at)
    vf.Envelope.EnvelopeAddRecipient(b, recipient)
    vf.Envelope.EnvelopeAddPayloadType(b, out.payload_type)
    vf.Envelope.EnvelopeAddPayload(b, payload)
    return vf.Envelope.EnvelopeEnd(b)


def frame_bytes(ack, outgoing=(), sender="", handshake=None):
    """A RemoteFrame: a handshake table (a function building one), or an ack and envelopes."""
    b = flatbuffers.Builder(1024)
    hs = handshake(b) if handshake is not None else None
    envs = None
    if outgoing:
        offsets = [envelope(b, out, sender) for out in outgoing]
        vf.RemoteFrame.RemoteFrameStartEnvelopesVector(b, len(offsets))
        for offset in reversed(offsets):
            b.PrependUOffsetTRelative(offset)
        envs = b.EndVector()
    vf.RemoteFrame.RemoteFrameStart(b)
    if hs is not None:
        hs[0](b, hs[1])
    vf.RemoteFrame.RemoteFrameAddAck(b, u64(ack))
    if envs is not None:
        vf.RemoteFrame.RemoteFrameAddFirstSeq(b, outgoing[0].seq)
        vf.RemoteFrame.RemoteFrameAddEnvelopes(b, envs)
    b.Finish(vf.RemoteFrame.RemoteFrameEnd(b), file_identifier=FRAME_ID)
    return bytes(b.Output())


def read_frame(data):
    if not isinstance(data, (bytes, bytearray)) or len(data) < 8 or len(data) > MAX_FRAME_BYTES or bytes(data[4:8]) != FRAME_ID:
        raise ValueError("not a RemoteFrame")
    return vf.RemoteFrame.RemoteFrame.GetRootAs(bytes(data), 0)


def text(value):
    return value.decode("utf-8", "replace") if isinstance(value, (bytes, bytearray)) else (value or "")


# ---- the agent ---------------------------------------------------------------------------------


class Agent:
    def __init__(self, args):
        self.args = args
        self.id = token_subject(args.token)
        self.sender = f"vf://{self.id}{AGENT_ACTOR}"
        # Random per start, never 0, 48 bits: this process's incarnation.
        self.incarnation = random.randrange(1, 2**48)
        self.node_incarnation = None
        self.next_seq = 1
        self.unacked = collections.deque()  # Outgoing, oldest first, until the node acknowledges them
        self.received = 0  # highest seq received from the node's incarnation
        self.frame_every = 1.0  # seconds between frames at least (the node's heartbeat_ms)
        self.heartbeat_every = None  # seconds between AgentHeartbeats (AgentRegistered.heartbeat_ms)
        self.swarm = None  # where reports go: the sender of AgentRegistered
        self.tasks_done = 0
        self.stopping = False
        self.ws = None

    # -- the connection --

    def connect(self):
        self.ws = websocket.create_connection(self.args.remote_url, timeout=10, enable_multithread=False)
        nonce = os.urandom(32)

        def hello(b):
            address, to, token = b.CreateString(self.id), b.CreateString(self.args.node), b.CreateString(self.args.token)
            nonce_at = b.CreateByteVector(nonce)
            vf.RemoteHello.RemoteHelloStart(b)
            vf.RemoteHello.RemoteHelloAddMinVersion(b, PROTOCOL_VERSION)
            vf.RemoteHello.RemoteHelloAddMaxVersion(b, PROTOCOL_VERSION)
            vf.RemoteHello.RemoteHelloAddKind(b, vf.RemotePeerKind.RemotePeerKind.Agent)
            vf.RemoteHello.RemoteHelloAddAddress(b, address)
            vf.RemoteHello.RemoteHelloAddIncarnation(b, self.incarnation)
            vf.RemoteHello.RemoteHelloAddNonce(b, nonce_at)
            vf.RemoteHello.RemoteHelloAddToken(b, token)
            vf.RemoteHello.RemoteHelloAddToAddress(b, to)
            return (vf.RemoteFrame.RemoteFrameAddHello, vf.RemoteHello.RemoteHelloEnd(b))

        self.ws.send_binary(frame_bytes(0, handshake=hello))
        challenge = read_frame(self.recv_handshake()).Challenge()
        if challenge is None or challenge.Version() != PROTOCOL_VERSION or text(challenge.Address()) != self.args.node:
            raise Refused("the node's answer is not a RemoteChallenge from " + self.args.node)
        incarnation = challenge.Incarnation()
        if self.node_incarnation is not None and incarnation != self.node_incarnation:
            # A restarted node: nothing of the old one's carries over (docs/protocol.md, incarnations).
            self.received, self.swarm = 0, None
        self.node_incarnation = incarnation
        received = self.received

        def proof(b):
            vf.RemoteProof.RemoteProofStart(b)
            vf.RemoteProof.RemoteProofAddReceived(b, received)
            return (vf.RemoteFrame.RemoteFrameAddProof, vf.RemoteProof.RemoteProofEnd(b))

        self.ws.send_binary(frame_bytes(0, handshake=proof))
        welcome = read_frame(self.recv_handshake()).Welcome()
        if welcome is None:
            raise Refused("the node did not welcome this agent")
        self.frame_every = max(0.05, welcome.HeartbeatMs() / 1000.0 or 1.0)
        self.forget_acknowledged(welcome.Received())
        log(f"connected to {self.args.node} as {self.id} (incarnation {self.incarnation})")
        # What the node did not receive goes again, in order, before anything new.
        if self.unacked:
            self.ws.send_binary(frame_bytes(self.received, list(self.unacked), self.sender))

    def recv_handshake(self):
        try:
            data = self.ws.recv()
        except websocket.WebSocketConnectionClosedException:
            data = None
        if not data:
            status = getattr(self.ws, "status", None)
            raise Refused(f"the node closed the handshake ({status}): is the token signed by it, with role agent?")
        return data

    def send(self, payload_type, build, message, recipient=None):
        if len(self.unacked) >= MAX_UNACKED:
            raise RuntimeError(f"more than {MAX_UNACKED} envelopes unacknowledged: the node is not keeping up")
        out = Outgoing(self.next_seq, recipient or self.swarm, payload_type, build, message)
        self.next_seq += 1
        self.unacked.append(out)
        self.ws.send_binary(frame_bytes(self.received, [out], self.sender))
        self.last_sent = time.monotonic()

    def forget_acknowledged(self, ack):
        while self.unacked and self.unacked[0].seq <= ack:
            self.unacked.popleft()

    # -- what the agent says --

    def register(self):
        message = {
            "agent_id": self.id,
            "agent_type": "python-word-counter",
            "name": "Python word counter",
            "capabilities": self.args.capability,
            "swarm": self.args.swarm,
            "max_concurrent": 1,
        }
        self.send(vf.Payload.Payload.AgentRegister, build_register, message, f"vf://{self.args.node}{SWARMS_PATH}")

    def heartbeat(self):
        if self.swarm is None:
            return
        cpu = time.process_time()
        elapsed = time.monotonic() - self.cpu_at[1]
        percent = 100.0 * (cpu - self.cpu_at[0]) / elapsed if elapsed > 0 else 0.0
        self.cpu_at = (cpu, time.monotonic())
        memory = 0
        try:
            with open("/proc/self/statm") as statm:
                memory = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            pass
        self.send(
            vf.Payload.Payload.AgentHeartbeat,
            build_heartbeat,
            {"agent_id": self.id, "cpu_percent": percent, "memory_bytes": memory, "active_tasks": 0},
        )

    def run_task(self, task):
        task_id, attempt = text(task.TaskId()), task.Attempt()
        started = time.monotonic()
        log(f"task {task_id} (attempt {attempt}, {text(task.Capability())})")
        words = re.findall(r"\w+", text(task.Input()))
        base = {"task_id": task_id, "agent_id": self.id, "attempt": attempt}
        self.send(vf.Payload.Payload.TaskProgress, build_progress, {**base, "progress": 0.5, "partial": json.dumps({"words": len(words)})})
        common = collections.Counter(w.lower() for w in words).most_common(5)
        result = json.dumps({"words": len(words), "distinct": len({w.lower() for w in words}), "top": common})
        duration = (time.monotonic() - started) * 1000.0
        self.send(vf.Payload.Payload.TaskCompleted, build_completed, {**base, "result": result, "duration_ms": duration})
        self.tasks_done += 1
        log(f"task {task_id} completed: {len(words)} words")

    # -- what the node says --

    def on_frame(self, data):
        frame = read_frame(data)
        self.forget_acknowledged(frame.Ack())
        n = frame.EnvelopesLength()
        if n == 0:
            return
        first = frame.FirstSeq()
        if first <= self.received:
            raise ValueError(f"envelope seq {first} repeats or goes back (last {self.received})")
        self.received = first + n - 1
        for i in range(n):
            self.on_envelope(frame.Envelopes(i))

    def on_envelope(self, env):
        kind = env.PayloadType()
        table = env.Payload()
        if table is None:
            return
        if kind == vf.Payload.Payload.AgentRegistered:
            registered = vf.AgentRegistered.AgentRegistered()
            registered.Init(table.Bytes, table.Pos)
            self.swarm = text(env.Sender())
            self.heartbeat_every = max(0.1, registered.HeartbeatMs() / 1000.0)
            self.cpu_at = (time.process_time(), time.monotonic())
            self.next_heartbeat = time.monotonic()
            holding = [text(registered.Holding(i)) for i in range(registered.HoldingLength())]
            log(f"registered in swarm {text(registered.Swarm())} as graph node {registered.NodeId()}; swarm at {self.swarm}")
            # Tasks run to the end as soon as they arrive: any the node still holds are not running here.
            for entry in holding:
                task_id, _, attempt = entry.rpartition(":")
                if task_id and attempt.isdigit():
                    message = "this agent restarted and no longer has the task"
                    fields = {"agent_id": self.id, "task_id": task_id, "attempt": int(attempt), "message": message, "recoverable": True}
                    self.send(vf.Payload.Payload.AgentError, build_error, fields)
        elif kind == vf.Payload.Payload.ErrorReply:
            reply = vf.ErrorReply.ErrorReply()
            reply.Init(table.Bytes, table.Pos)
            raise Refused(f"refused (code {reply.Code()}): {text(reply.Message())}")
        elif kind == vf.Payload.Payload.TaskAssigned:
            task = vf.TaskAssigned.TaskAssigned()
            task.Init(table.Bytes, table.Pos)
            self.run_task(task)
        elif kind == vf.Payload.Payload.TaskCancel:
            cancel = vf.TaskCancel.TaskCancel()
            cancel.Init(table.Bytes, table.Pos)
            log(f"task {text(cancel.TaskId())} cancelled: {text(cancel.Reason())} (it had already finished)")

    # -- the loop --

    def serve(self):
        """Connects, registers and serves until stopped; reconnects (bounded) when the connection drops."""
        failures = 0
        while not self.stopping:
            try:
                self.connect()
                failures = 0
                self.register()
                self.loop()
            except Refused:
                raise
            except (OSError, websocket.WebSocketException, ValueError) as error:
                if self.stopping:
                    break
                failures += 1
                if failures > self.args.max_reconnects:
                    raise RuntimeError(f"gave up after {failures - 1} reconnects: {error}") from error
                delay = min(5.0, 0.1 * 2**failures) * random.uniform(0.8, 1.2)
                log(f"connection lost ({error}); reconnecting in {delay:.1f} s")
                time.sleep(delay)
            finally:
                if self.ws is not None:
                    # 1001, going away: the node lets this agent go at once instead of waiting for it.
                    self.ws.close(status=1001 if self.stopping else 1000)

    def loop(self):
        self.last_sent = time.monotonic()
        done_at = None
        while not self.stopping:
            now = time.monotonic()
            if self.args.max_tasks and self.tasks_done >= self.args.max_tasks:
                # Done: once the node has acknowledged every report (or after 5 s), stop.
                done_at = done_at or now
                if not self.unacked or now - done_at > 5:
                    self.stopping = True
                    break
            if self.heartbeat_every is not None and now >= self.next_heartbeat:
                self.next_heartbeat = now + self.heartbeat_every
                self.heartbeat()
            if now - self.last_sent >= self.frame_every:
                # Nothing else to say: an empty frame is the acknowledgement and the heartbeat.
                self.ws.send_binary(frame_bytes(self.received))
                self.last_sent = now
            self.ws.settimeout(min(self.frame_every, self.heartbeat_every or self.frame_every))
            try:
                opcode, data = self.ws.recv_data()
            except websocket.WebSocketTimeoutException:
                continue
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                raise websocket.WebSocketConnectionClosedException("closed by the node")
            if opcode == websocket.ABNF.OPCODE_TEXT:
                raise ValueError("a text message: not part of this protocol")
            if opcode == websocket.ABNF.OPCODE_BINARY:
                self.on_frame(data)


def main():
    global vf
    parser = argparse.ArgumentParser(description="A VisionFlow agent in Python: counts the words of its tasks' input.")
    parser.add_argument("--url", help="the node's HTTP base, e.g. http://127.0.0.1:8080 (its address is asked at /remote)")
    parser.add_argument("--node", help="the node's address (skips discovery; needs --remote-url)")
    parser.add_argument("--remote-url", help="ws://HOST:PORT/remote (default: from --url)")
    parser.add_argument("--token", default=os.environ.get("VF_AGENT_TOKEN"), help="agent token (default $VF_AGENT_TOKEN)")
    parser.add_argument("--capability", action="append", help="capabilities (default: count)")
    parser.add_argument("--swarm", default="", help="the swarm to join (default: the default swarm)")
    parser.add_argument("--generated", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "generated"))
    parser.add_argument("--max-tasks", type=int, default=0, help="stop after this many tasks (0: never)")
    parser.add_argument("--max-reconnects", type=int, default=20)
    args = parser.parse_args()
    if not args.token:
        parser.error("give --token or set VF_AGENT_TOKEN")
    args.capability = args.capability or ["count"]
    sys.path.insert(0, args.generated)
    try:
        import vf as generated  # noqa: F401
        import vf.AgentError, vf.AgentHeartbeat, vf.AgentRegister, vf.AgentRegistered, vf.Envelope  # noqa: E401,F401
        import vf.ErrorReply, vf.Payload, vf.RemoteChallenge, vf.RemoteFrame, vf.RemoteHello  # noqa: E401,F401
        import vf.RemotePeerKind, vf.RemoteProof, vf.RemoteWelcome, vf.TaskAssigned, vf.TaskCancel  # noqa: E401,F401
        import vf.TaskCompleted, vf.TaskProgress  # noqa: E401,F401
    except ImportError as error:
        print(f"no generated FlatBuffers code in {args.generated} ({error}): run examples/python-agent/generate.sh", file=sys.stderr)
        return 1
    vf = generated
    if args.node is None:
        if args.url is None:
            parser.error("give --url, or --node and --remote-url")
        args.node, discovered = discover(args.url)
        args.remote_url = args.remote_url or discovered
    elif args.remote_url is None:
        parser.error("--node needs --remote-url")

    agent = Agent(args)

    def stop(signum, _frame):
        agent.stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        agent.serve()
    except Refused as error:
        print(f"refused: {error}", file=sys.stderr)
        return 3
    except Exception as error:  # noqa: BLE001 - the agent's last word, whatever went wrong
        print(f"failed: {error}", file=sys.stderr)
        return 1
    log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
