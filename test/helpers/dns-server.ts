import { createSocket, type Socket } from 'node:dgram';

/** A DNS server on 127.0.0.1 (UDP, port 0) that answers TXT questions from a table; anything else gets no answer. */
export interface FakeDns {
  /** `127.0.0.1:PORT`, for `dns.setServers`. */
  readonly address: string;
  /** Every question asked, as `TYPE name` (`TXT localhost`). */
  readonly questions: string[];
  close(): Promise<void>;
}

const TYPE_NAMES: Readonly<Record<number, string>> = { 1: 'A', 16: 'TXT', 28: 'AAAA' };

/** The question's name and type; undefined for a message this little server does not understand. */
function question(message: Buffer): { name: string; type: number; end: number } | undefined {
  const labels: string[] = [];
  let at = 12;
  while (at < message.length) {
    const length = message[at] as number;
    if (length === 0) break;
    if (length > 63) return undefined; // compression in a question: not from a stub resolver
    labels.push(message.toString('latin1', at + 1, at + 1 + length));
    at += 1 + length;
  }
  if (at + 5 > message.length) return undefined;
  return { name: labels.join('.').toLowerCase(), type: message.readUInt16BE(at + 1), end: at + 5 };
}

/** TXT record data: the text in character-strings of at most 255 bytes. */
function txtData(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += 255) {
    const chunk = bytes.subarray(at, at + 255);
    parts.push(Buffer.from([chunk.length]), chunk);
  }
  return Buffer.concat(parts);
}

/** Starts the server; `txt` maps a lower-case name to the text of its one TXT record. */
export async function startFakeDns(txt: Readonly<Record<string, string>>): Promise<FakeDns> {
  const socket: Socket = createSocket('udp4');
  const questions: string[] = [];
  socket.on('message', (message, peer) => {
    const asked = question(message);
    if (asked === undefined) return;
    questions.push(`${TYPE_NAMES[asked.type] ?? asked.type} ${asked.name}`);
    const text = asked.type === 16 ? txt[asked.name] : undefined;
    const header = Buffer.alloc(12);
    message.copy(header, 0, 0, 2); // the id
    header.writeUInt16BE(0x8180, 2); // a response, recursion desired and available, no error
    header.writeUInt16BE(1, 4); // one question
    header.writeUInt16BE(text === undefined ? 0 : 1, 6); // answers
    const parts: Uint8Array[] = [header, message.subarray(12, asked.end)];
    if (text !== undefined) {
      const data = txtData(text);
      const answer = Buffer.alloc(12);
      answer.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
      answer.writeUInt16BE(16, 2); // TXT
      answer.writeUInt16BE(1, 4); // IN
      answer.writeUInt32BE(60, 6); // TTL
      answer.writeUInt16BE(data.length, 10);
      parts.push(answer, data);
    }
    socket.send(Buffer.concat(parts), peer.port, peer.address);
  });
  await new Promise<void>(resolve => socket.bind(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${socket.address().port}`,
    questions,
    close: () => new Promise<void>(resolve => socket.close(() => resolve())),
  };
}
