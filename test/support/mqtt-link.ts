import net from 'node:net';

/** A TCP link between MQTT clients and a broker on 127.0.0.1, to disturb on purpose. */
export interface MqttLink {
  /** What clients connect to instead of the broker. */
  url: string;
  /** Drops every connection, as a network fault would: clients see their socket close. */
  cut(): void;
  /** Delays what the broker sends by this long (order kept); 0 ends the delay. */
  lag(ms: number): void;
  /** Stops passing what the broker sends, as a client that stopped reading would. */
  hold(): void;
  /** Passes what {@link MqttLink.hold} kept back, and everything after it. */
  release(): void;
  close(): Promise<void>;
}

interface Pipe {
  client: net.Socket;
  broker: net.Socket;
  /** Broker bytes kept back while held. */
  backlog: Buffer[];
  /** Broker bytes on their way, in order, each with the time it is due. */
  delayed: { chunk: Buffer; dueAt: number }[];
}

/** Opens a link to the broker listening on `port`. */
export async function openMqttLink(port: number): Promise<MqttLink> {
  const pipes = new Set<Pipe>();
  let lagMs = 0;
  let held = false;

  const toClient = (pipe: Pipe, chunk: Buffer): void => {
    if (held) {
      pipe.backlog.push(chunk);
      return;
    }
    // One queue per pipe: a chunk never overtakes the one ahead, even once the lag shrinks.
    pipe.delayed.push({ chunk, dueAt: Date.now() + lagMs });
    if (pipe.delayed.length === 1) deliver(pipe);
  };
  const deliver = (pipe: Pipe): void => {
    while (pipe.delayed.length > 0 && pipe.delayed[0].dueAt <= Date.now()) {
      pipe.client.write(pipe.delayed.shift()!.chunk);
    }
    if (pipe.delayed.length > 0) {
      setTimeout(() => deliver(pipe), pipe.delayed[0].dueAt - Date.now());
    }
  };
  const server = net.createServer((client) => {
    const pipe: Pipe = { client, broker: net.connect(port, '127.0.0.1'), backlog: [], delayed: [] };
    pipes.add(pipe);
    client.on('data', (chunk: Buffer) => pipe.broker.write(chunk));
    pipe.broker.on('data', (chunk: Buffer) => toClient(pipe, chunk));
    const drop = (): void => {
      client.destroy();
      pipe.broker.destroy();
      pipes.delete(pipe);
    };
    for (const socket of [client, pipe.broker]) {
      socket.on('error', drop);
      socket.on('close', drop);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: linkPort } = server.address() as net.AddressInfo;

  return {
    url: `mqtt://127.0.0.1:${linkPort}`,
    cut: () => {
      for (const pipe of pipes) pipe.client.destroy();
    },
    lag: (ms) => {
      lagMs = ms;
    },
    hold: () => {
      held = true;
    },
    release: () => {
      held = false;
      for (const pipe of pipes) {
        for (const chunk of pipe.backlog.splice(0)) pipe.client.write(chunk);
      }
    },
    close: async () => {
      for (const pipe of pipes) pipe.client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
