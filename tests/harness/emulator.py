"""The local AWS emulator for mfa-session's tests: moto's server plus a thin proxy of ours.

The harness (tests/common/mod.rs) runs `python3 tests/harness/emulator.py`, reads one line
`READY <proxy_port> <moto_port>` from stdout, and sends every AWS request to the proxy.
Closing our stdin (the test process exiting, however it exits) stops moto and the proxy.

moto is a real emulator but checks little of MFA. Where it does not behave as AWS documents,
the proxy does, and only there:
  * GetSessionToken: TokenCode must be 6 digits and DurationSeconds within 900..129600
    (AWS answers ValidationError otherwise); a TokenCode already used for the same
    SerialNumber is refused as AWS refuses it (AccessDenied, "MultiFactorAuthentication failed
    with invalid MFA one time pass code."). moto accepts all of these.
  * Access keys the test declared invalid get InvalidClientTokenId, as AWS answers unknown keys
    (moto does not check keys unless its auth mode is on); so do keys deleted through
    DeleteAccessKey from then on, and, when a test sets "new_key_delay_ms" for an IAM user
    (the config's "key" is then the user name), that user's keys made by CreateAccessKey for
    that long (IAM is eventually consistent: a new key may fail for a few seconds).
  * Virtual MFA devices (moto does not check codes and does not implement ResyncMFADevice):
    the proxy learns each device's seed from moto's CreateVirtualMFADevice answer, then
    EnableMFADevice and ResyncMFADevice need two consecutive codes of that seed near the current
    time (InvalidAuthenticationCode otherwise, as AWS answers), ResyncMFADevice is answered here,
    and GetSessionToken for such a device needs a code of its seed (±1 step).
    DeleteVirtualMFADevice of a device that is still enabled (assigned to a user) is refused
    with DeleteConflict, as AWS refuses it (moto deletes it): DeactivateMFADevice first.
  * AssumeRole (moto checks no trust policy): the proxy knows which credentials carry MFA
    (sessions GetSessionToken returned, and role sessions assumed from them), refuses AssumeRole
    from long-term keys as the Force_MFA policy's deny does (AccessDenied), evaluates the trust
    policy's `"Bool": {"aws:MultiFactorAuthPresent": "true"}` of roles made through
    /_harness/role against the caller, caps role chaining (a role session assuming a role) at
    3600 s and each role at its MaxSessionDuration (ValidationError, in AWS's words), and counts
    AssumeRole calls per role.
It also counts GetSessionToken calls per long-term access key id, and injects the faults a test
asks for (a delay, an HTTP status, a malformed body, a dropped connection), per access key id,
so tests running in parallel do not see each other's settings.

Control endpoints (never forwarded): GET /_harness/stats?key=AKID, POST /_harness/device
with JSON {"user": NAME, "serial": SERIAL} (enables a device of any kind), POST /_harness/config
with JSON {"key": AKID, "delay_ms": N, "wrong_codes": [...], "invalid": bool,
"fault": "500"|"throttle"|"malformed"|"reset"|null, "fault_count": N, "fail_enable": bool, "deny_iam": [IAM actions], "allow_reuse": bool}.
"""
import base64
import hashlib
import hmac
import http.client
import json
import struct
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
COUNTS = {}  # access key id -> GetSessionToken calls that reached the proxy
USED = set()  # (serial, code) pairs already accepted
DELETED = set()  # access key ids deleted through DeleteAccessKey
NOT_BEFORE = {}  # access key id made by CreateAccessKey -> time before which AWS would not know it
SETTINGS = {}  # access key id -> settings dict
SEEDS = {}  # virtual MFA device serial -> base32 seed, learnt from moto's answers
MOTO_PORT = None
MFA_KEYS = set()  # access key ids of credentials that carry MFA (sessions made with a code)
ROLE_KEYS = {}  # access key id of a role session -> whether it carries MFA
ROLES = {}  # role ARN -> {"mfa": bool, "max": seconds}
ASSUMES = {}  # role ARN -> AssumeRole calls that moto answered
ENABLED = set()  # MFA device serials enabled (EnableMFADevice or /_harness/device), not yet deactivated


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def error_xml(code, message, sender=True):
    return (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        f"<Error><Type>{'Sender' if sender else 'Receiver'}</Type><Code>{code}</Code>"
        f"<Message>{message}</Message></Error><RequestId>{uuid.uuid4()}</RequestId>"
        "</ErrorResponse>"
    ).encode()


def totp(seed_b32, step):
    key = base64.b32decode(seed_b32 + "=" * (-len(seed_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1000000)


def consecutive_codes_ok(serial, c1, c2, window=3):
    now = int(time.time()) // 30
    seed = SEEDS[serial]
    return any(totp(seed, s) == c1 and totp(seed, s + 1) == c2 for s in range(now - window, now + window + 1))


def iam_error(status, code, message):
    body = (
        '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
        f"<Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
        f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    ).encode()
    return status, body


def call(action, **params):
    """An IAM request straight to moto, as the harness."""
    body = urllib.parse.urlencode({"Action": action, "Version": "2010-05-08", **params})
    conn = http.client.HTTPConnection("127.0.0.1", MOTO_PORT, timeout=30)
    auth = "AWS4-HMAC-SHA256 Credential=AKIAHARNESS0000000/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0"
    conn.request("POST", "/", body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Authorization": auth})
    data = conn.getresponse().read().decode()
    conn.close()
    return data


def create_role(name, mfa, max_seconds):
    """A role whose trust policy allows the account's principals, with the MFA condition when
    `mfa`; the proxy evaluates that condition on AssumeRole."""
    statement = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}
    if mfa:
        statement["Condition"] = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    doc = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    data = call("CreateRole", RoleName=name, AssumeRolePolicyDocument=doc, MaxSessionDuration=str(max_seconds))
    arn = re.search(r"<Arn>([^<]+)</Arn>", data).group(1)
    with LOCK:
        ROLES[arn] = {"mfa": mfa, "max": max_seconds}
    return {"Arn": arn}


def create_user(name):
    """An IAM user with an access key, made in moto: its keys make GetCallerIdentity answer
    with this user, so each test has a user (and MFA devices) of its own."""
    call("CreateUser", UserName=name)
    data = call("CreateAccessKey", UserName=name)
    return {
        "AccessKeyId": re.search(r"<AccessKeyId>([^<]+)</AccessKeyId>", data).group(1),
        "SecretAccessKey": re.search(r"<SecretAccessKey>([^<]+)</SecretAccessKey>", data).group(1),
    }


def access_key_of(headers):
    m = re.search(r"Credential=([^/,\s]+)/", headers.get("Authorization", ""))
    return m.group(1) if m else None


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, ctype="text/xml"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.handle_any()

    def do_POST(self):
        self.handle_any()

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path.startswith("/_harness/"):
            return self.control(body)
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        action = (form.get("Action") or [""])[0]
        key = access_key_of(self.headers)
        with LOCK:
            settings = dict(SETTINGS.get(key, {}))
            unknown = key in DELETED or NOT_BEFORE.get(key, 0) > time.time()
        if unknown:
            return self.reply(403, error_xml("InvalidClientTokenId", "The security token included in the request is invalid."))
        if action == "GetSessionToken":
            with LOCK:
                COUNTS[key] = COUNTS.get(key, 0) + 1
            if settings.get("delay_ms"):
                time.sleep(settings["delay_ms"] / 1000)
            fault = self.fault(key, settings)
            if fault:
                return
            refusal = self.check_session_token(form, settings)
            if refusal:
                return self.reply(*refusal)
        if action == "AssumeRole":
            refusal = self.check_assume_role(form, key)
            if refusal:
                return self.reply(*refusal)
        if settings.get("invalid") and action != "GetSessionToken":
            # AWS refuses unknown or deleted keys on every call, not only GetSessionToken.
            return self.reply(403, error_xml("InvalidClientTokenId", "The security token included in the request is invalid."))
        if action in settings.get("deny_iam", []):
            return self.reply(*iam_error(403, "AccessDenied", f"User: arn:aws:iam::123456789012:user/x is not authorized to perform: iam:{action}"))
        if action == "DeleteVirtualMFADevice":
            serial = (form.get("SerialNumber") or [""])[0]
            with LOCK:
                assigned = serial in ENABLED
            if assigned:
                return self.reply(*iam_error(409, "DeleteConflict", "MFA Device is still in use"))
        if action in ("EnableMFADevice", "ResyncMFADevice"):
            serial = (form.get("SerialNumber") or [""])[0]
            c1 = (form.get("AuthenticationCode1") or [""])[0]
            c2 = (form.get("AuthenticationCode2") or [""])[0]
            if serial not in SEEDS:
                return self.reply(*iam_error(404, "NoSuchEntity", f"MFA device {serial} not found."))
            if settings.get("fail_enable") or not consecutive_codes_ok(serial, c1, c2):
                return self.reply(*iam_error(403, "InvalidAuthenticationCode", "Authentication code for device is not valid."))
            with LOCK:
                USED.update({(serial, c1), (serial, c2)})
            if action == "ResyncMFADevice":
                xml = (
                    '<ResyncMFADeviceResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
                    f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
                    "</ResyncMFADeviceResponse>"
                ).encode()
                return self.reply(200, xml)
        status, data = self.forward(body)
        new_key = re.search(rb"<AccessKeyId>([^<]+)</AccessKeyId>", data) if status == 200 else None
        if action == "GetSessionToken" and new_key:
            with LOCK:
                MFA_KEYS.add(new_key.group(1).decode())
        if action == "AssumeRole" and new_key:
            arn = (form.get("RoleArn") or [""])[0]
            with LOCK:
                ROLE_KEYS[new_key.group(1).decode()] = key in MFA_KEYS or ROLE_KEYS.get(key, False)
                ASSUMES[arn] = ASSUMES.get(arn, 0) + 1
        if action == "CreateAccessKey" and new_key:
            user = (form.get("UserName") or [""])[0]
            with LOCK:
                delay = SETTINGS.get(user, {}).get("new_key_delay_ms", 0)
                NOT_BEFORE[new_key.group(1).decode()] = time.time() + delay / 1000
        if action == "EnableMFADevice" and status == 200:
            with LOCK:
                ENABLED.add((form.get("SerialNumber") or [""])[0])
        if action == "DeactivateMFADevice" and status == 200:
            with LOCK:
                ENABLED.discard((form.get("SerialNumber") or [""])[0])
        if action == "DeleteAccessKey" and status == 200:
            with LOCK:
                DELETED.add((form.get("AccessKeyId") or [""])[0])
        if action == "CreateVirtualMFADevice" and status == 200:
            serial = re.search(rb"<SerialNumber>([^<]+)</SerialNumber>", data)
            seed = re.search(rb"<Base32StringSeed>([^<]+)</Base32StringSeed>", data)
            if serial and seed:
                raw = base64.b64decode(seed.group(1))
                with LOCK:
                    SEEDS[serial.group(1).decode()] = raw.decode()

    def fault(self, key, settings):
        kind = settings.get("fault")
        if not kind:
            return False
        with LOCK:
            left = SETTINGS[key].get("fault_count", -1)
            if left == 0:
                return False
            SETTINGS[key]["fault_count"] = left - 1
        if kind == "500":
            self.reply(500, error_xml("InternalFailure", "We encountered an internal error.", False))
        elif kind == "throttle":
            self.reply(400, error_xml("Throttling", "Rate exceeded"))
        elif kind == "malformed":
            self.reply(200, b"<GetSessionTokenResponse><oops")
        elif kind == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            self.connection.close()
            self.close_connection = True
        return True

    def check_assume_role(self, form, key):
        arn = (form.get("RoleArn") or [""])[0]
        duration = int((form.get("DurationSeconds") or ["3600"])[0])
        with LOCK:
            chained = key in ROLE_KEYS
            mfa = key in MFA_KEYS or ROLE_KEYS.get(key, False)
            role = ROLES.get(arn)
        if not chained and key not in MFA_KEYS:
            # Long-term keys: the Force_MFA policy's deny (no MFA) covers sts:AssumeRole.
            return 403, error_xml("AccessDenied", f"User: arn:aws:iam::123456789012:user/x is not authorized to perform: sts:AssumeRole on resource: {arn} with an explicit deny in an identity-based policy")
        if role is None:
            return 403, error_xml("AccessDenied", f"User: arn:aws:sts::123456789012:assumed-role/x is not authorized to perform: sts:AssumeRole on resource: {arn}")
        if role["mfa"] and not mfa:
            return 403, error_xml("AccessDenied", f"User: arn:aws:sts::123456789012:assumed-role/x is not authorized to perform: sts:AssumeRole on resource: {arn}")
        if chained and duration > 3600:
            return 400, error_xml("ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
        if duration > role["max"]:
            return 400, error_xml("ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
        return None

    def check_session_token(self, form, settings):
        if settings.get("invalid"):
            return 403, error_xml("InvalidClientTokenId", "The security token included in the request is invalid.")
        code = (form.get("TokenCode") or [None])[0]
        serial = (form.get("SerialNumber") or [None])[0]
        duration = (form.get("DurationSeconds") or [None])[0]
        if duration is not None and not 900 <= int(duration) <= 129600:
            bound = "greater than or equal to 900" if int(duration) < 900 else "less than or equal to 129600"
            return 400, error_xml(
                "ValidationError",
                f"1 validation error detected: Value '{duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value {bound}",
            )
        if code is not None and not re.fullmatch(r"[0-9]{6}", code):
            return 400, error_xml(
                "ValidationError",
                "1 validation error detected: Value at 'tokenCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\d]*",
            )
        if code is not None and serial in SEEDS:
            now = int(time.time()) // 30
            # AWS tolerates some clock skew; the tests inject times a step or two from real time.
            if code not in [totp(SEEDS[serial], s) for s in range(now - 3, now + 4)]:
                return 403, error_xml("AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code. ")
        if code is not None:
            with LOCK:
                reused = (serial, code) in USED
                if code in settings.get("wrong_codes", []) or (reused and not settings.get("allow_reuse")):
                    return 403, error_xml("AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code. ")
                USED.add((serial, code))
        return None

    def forward(self, body):
        conn = http.client.HTTPConnection("127.0.0.1", MOTO_PORT, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
        headers["Host"] = f"127.0.0.1:{MOTO_PORT}"
        conn.request(self.command, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        return resp.status, data

    def control(self, body):
        url = urllib.parse.urlparse(self.path)
        if url.path == "/_harness/stats":
            query = urllib.parse.parse_qs(url.query)
            key = (query.get("key") or [None])[0]
            role = (query.get("role") or [None])[0]
            with LOCK:
                out = {"get_session_token": COUNTS.get(key, 0), "assume_role": ASSUMES.get(role, 0)}
            return self.reply(200, json.dumps(out).encode(), "application/json")
        if url.path == "/_harness/role":
            r = json.loads(body)
            return self.reply(200, json.dumps(create_role(r["name"], r.get("mfa", True), r.get("max", 3600))).encode(), "application/json")
        if url.path == "/_harness/user":
            return self.reply(200, json.dumps(create_user(json.loads(body)["name"])).encode(), "application/json")
        if url.path == "/_harness/device":
            # A device of any kind (a FIDO key, a hardware token) enabled for a user, as the
            # console would: moto's EnableMFADevice takes any serial.
            d = json.loads(body)
            call("EnableMFADevice", UserName=d["user"], SerialNumber=d["serial"],
                 AuthenticationCode1="123456", AuthenticationCode2="654321")
            with LOCK:
                ENABLED.add(d["serial"])
            return self.reply(200, b"{}", "application/json")
        if url.path == "/_harness/config":
            cfg = json.loads(body or b"{}")
            with LOCK:
                SETTINGS[cfg.pop("key")] = cfg
            return self.reply(200, b"{}", "application/json")
        return self.reply(404, b"{}", "application/json")


def main():
    global MOTO_PORT
    MOTO_PORT = free_port()
    moto = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(MOTO_PORT)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", MOTO_PORT), timeout=1).close()
            break
        except OSError:
            if time.time() > deadline or moto.poll() is not None:
                moto.kill()
                sys.exit("moto did not start")
            time.sleep(0.05)
    class Server(ThreadingHTTPServer):
        def handle_error(self, request, client_address):
            # A client that gave up (our timeout tests) leaves a broken pipe: not an error here.
            if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
                super().handle_error(request, client_address)

    server = Server(("127.0.0.1", 0), Proxy)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"READY {server.server_address[1]} {MOTO_PORT}", flush=True)
    # Our parent holds our stdin open; EOF means it is gone.
    try:
        sys.stdin.buffer.read()
    finally:
        moto.terminate()
        try:
            moto.wait(5)
        except subprocess.TimeoutExpired:
            moto.kill()
        os._exit(0)


if __name__ == "__main__":
    main()
