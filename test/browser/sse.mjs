// Server-Sent Events read from a fetch() response (tests and benchmarks).
// Reads Server-Sent Events from a fetch response until `until` says stop.
export async function readEvents(res, until, timeoutMs = 5000) {
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  const events = [];
  let buffer = '';
  const deadline = Date.now() + timeoutMs;
  let pending = null;  // a read not yet answered is kept, not lost, across waits
  while (Date.now() < deadline) {
    pending = pending || reader.read();
    const got = await Promise.race([
      pending, new Promise((r) => setTimeout(() => r(null), 200))]);
    if (got === null) continue;
    pending = null;
    const { value, done } = got;
    if (done) break;
    if (value) buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const ev = { id: null, event: 'message', data: '' };
      for (const line of block.split('\n')) {
        if (line.startsWith('id: ')) ev.id = Number(line.slice(4));
        else if (line.startsWith('event: ')) ev.event = line.slice(7);
        else if (line.startsWith('data: ')) ev.data += line.slice(6);
      }
      if (block.startsWith(':') || block.startsWith('retry:')) continue;
      events.push(ev);
      if (until(ev, events)) { reader.cancel(); return events; }
    }
  }
  reader.cancel();
  return events;
}
