"""The fault half of bench/serve.sh, against a running `stockade serve` (HTTPS, loopback).
Prints one JSON line per fault: what was sent, what came back, how long it took, and whether the
server still answered a normal review right after."""
import asyncio, json, ssl, sys, time

HOST, PORT = sys.argv[1].rsplit(":", 1)
PORT = int(PORT)
REVIEW = open(sys.argv[2], "rb").read()
CONNECTIONS = int(sys.argv[3]) if len(sys.argv) > 3 else 10000

CTX = ssl.create_default_context()
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE


def head(body_len, extra=""):
    return (f"POST /validate HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {body_len}\r\n{extra}\r\n").encode()


async def read_status(reader, timeout=30):
    line = await asyncio.wait_for(reader.readline(), timeout)
    return line.decode(errors="replace").strip()


async def request(body, headers=None):
    reader, writer = await asyncio.open_connection(HOST, PORT, ssl=CTX)
    writer.write(headers if headers is not None else head(len(body)))
    writer.write(body)
    await writer.drain()
    status = await read_status(reader)
    # Read the rest of the response (headers, then a Content-Length body).
    length = 0
    while True:
        line = (await reader.readline()).decode().strip()
        if not line:
            break
        if line.lower().startswith("content-length:"):
            length = int(line.split(":", 1)[1])
    data = await reader.readexactly(length)
    writer.close()
    return status, data


async def healthy():
    status, data = await request(REVIEW)
    return status.startswith("HTTP/1.1 200") and b'"response"' in data


async def closed_within(reader, limit):
    start = time.monotonic()
    try:
        data = await asyncio.wait_for(reader.read(1024), limit)
        return time.monotonic() - start, data.decode(errors="replace").split("\r\n")[0]
    except (ConnectionError, ssl.SSLError) as e:
        return time.monotonic() - start, type(e).__name__
    except asyncio.TimeoutError:
        return None, "still open"


def report(fault, **fields):
    print(json.dumps({"fault": fault, **fields}), flush=True)


async def main():
    # Malformed JSON, wrong apiVersion.
    status, data = await request(b'{"apiVersion": "admission.k8s.io/v1", "kind": ')
    report("malformed JSON", status=status, body=data.decode()[:80], serving_after=await healthy())
    wrong = json.loads(REVIEW)
    wrong["apiVersion"] = "admission.k8s.io/v1beta1"
    status, data = await request(json.dumps(wrong).encode())
    report("wrong apiVersion (v1beta1)", status=status, body=data.decode()[:120], serving_after=await healthy())

    # 50 MB body: announced in the headers, then sent as fast as the server takes it.
    reader, writer = await asyncio.open_connection(HOST, PORT, ssl=CTX)
    start = time.monotonic()
    writer.write(head(50 * 1024 * 1024))
    sent = 0

    async def pump():
        nonlocal sent
        chunk = b" " * 65536
        try:
            while sent < 50 * 1024 * 1024:
                writer.write(chunk)
                await writer.drain()
                sent += len(chunk)
        except (ConnectionError, ssl.SSLError):
            pass

    pumping = asyncio.ensure_future(pump())
    try:
        status = await read_status(reader)
    except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError) as e:
        status = type(e).__name__
    elapsed = time.monotonic() - start
    pumping.cancel()
    writer.close()
    report("50 MB body", status=status, answered_after_s=round(elapsed, 3),
           body_bytes_sent_before_answer=sent, serving_after=await healthy())

    # Slowloris: the request head, a byte every 500 ms.
    reader, writer = await asyncio.open_connection(HOST, PORT, ssl=CTX)
    start = time.monotonic()
    cut = None
    try:
        for b in head(len(REVIEW)) * 4:
            writer.write(bytes([b]))
            await writer.drain()
            await asyncio.sleep(0.5)
            if reader.at_eof():
                break
            if time.monotonic() - start > 40:
                break
    except (ConnectionError, ssl.SSLError):
        pass
    waited, first = await closed_within(reader, 5)
    cut = time.monotonic() - start
    report("slowloris (1 byte / 500 ms)", closed_after_s=round(cut, 2), last_read=first,
           serving_after=await healthy())

    # Half-open TLS: TCP connected, no ClientHello; and half a ClientHello.
    for name, payload in [("half-open TLS (no ClientHello)", b""),
                          ("half a ClientHello", bytes([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]))]:
        reader, writer = await asyncio.open_connection(HOST, PORT)
        writer.write(payload)
        await writer.drain()
        waited, first = await closed_within(reader, 40)
        writer.close()
        report(name, closed_after_s=None if waited is None else round(waited, 2),
               serving_after=await healthy())

    # Clients leaving mid-request: headers and half the body, then gone.
    for _ in range(100):
        reader, writer = await asyncio.open_connection(HOST, PORT, ssl=CTX)
        writer.write(head(len(REVIEW)) + REVIEW[: len(REVIEW) // 2])
        await writer.drain()
        writer.transport.abort()
    report("100 clients disconnecting mid-body", serving_after=await healthy())

    # Many connections at once, each with one review.
    async def one(i):
        try:
            status, data = await request(REVIEW)
            return status.startswith("HTTP/1.1 200")
        except Exception as e:  # noqa: BLE001 - counted
            return type(e).__name__

    start = time.monotonic()
    results = await asyncio.gather(*(one(i) for i in range(CONNECTIONS)))
    elapsed = time.monotonic() - start
    failures = {}
    for r in results:
        if r is not True:
            failures[str(r)] = failures.get(str(r), 0) + 1
    report(f"{CONNECTIONS} connections at once", answered=sum(1 for r in results if r is True),
           failures=failures, seconds=round(elapsed, 2), serving_after=await healthy())


asyncio.run(main())
