/** Reads server-sent events from a Response body, one frame at a time. */
export interface SseFrame {
  event: string | null;
  data: string | null;
  id: string | null;
  /** Comment lines (`: heartbeat`), without the colon. */
  comments: string[];
  retry: string | null;
}

export class SseReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private buffer = '';
  ended = false;

  constructor(body: ReadableStream<Uint8Array>) {
    this.reader = body.getReader();
  }

  /** The next frame, or null when the stream ended. */
  async next(): Promise<SseFrame | null> {
    for (;;) {
      const end = this.buffer.indexOf('\n\n');
      if (end >= 0) {
        const raw = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        return parseFrame(raw);
      }
      const { done, value } = await this.reader.read();
      if (done) {
        this.ended = true;
        return null;
      }
      this.buffer += this.decoder.decode(value, { stream: true });
    }
  }

  /** Skips frames until one with this event name (or a comment, for ':'); null if the stream ends first. */
  async until(event: string): Promise<SseFrame | null> {
    for (;;) {
      const frame = await this.next();
      if (!frame) return null;
      if (event === ':' ? frame.comments.length > 0 : frame.event === event) return frame;
    }
  }

  async cancel(): Promise<void> {
    await this.reader.cancel();
  }
}

function parseFrame(raw: string): SseFrame {
  const frame: SseFrame = { event: null, data: null, id: null, comments: [], retry: null };
  for (const line of raw.split('\n')) {
    if (line.startsWith(':')) frame.comments.push(line.slice(1).trim());
    else if (line.startsWith('event: ')) frame.event = line.slice(7);
    else if (line.startsWith('data: ')) frame.data = (frame.data === null ? '' : `${frame.data}\n`) + line.slice(6);
    else if (line.startsWith('id: ')) frame.id = line.slice(4);
    else if (line.startsWith('retry: ')) frame.retry = line.slice(7);
  }
  return frame;
}
