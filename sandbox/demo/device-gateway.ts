import net from 'node:net';

import { LOOPBACK } from '../config';

/** A TCP pass-through in front of the IoT Core stand-in, for devices only. */
export interface DeviceGateway {
  /** The port devices connect to. */
  port: number;
  /** Drops every device connection and refuses new ones, as a failing IoT Core endpoint would. */
  refuse(): void;
  /** Accepts device connections again. */
  accept(): void;
  stop(): Promise<void>;
}

/**
 * Devices reach the IoT Core stand-in through this gateway, so the demo's chaos can fail the
 * endpoint for devices without restarting the broker: a restart would risk what the broker had
 * acknowledged but not yet written to disk, which a real IoT Core outage does not do. Bytes pass
 * through untouched; TLS runs end to end between device and broker.
 */
export async function startDeviceGateway(brokerPort: number): Promise<DeviceGateway> {
  let refusing = false;
  const open = new Set<net.Socket>();

  const server = net.createServer((device) => {
    if (refusing) {
      device.destroy();
      return;
    }
    const broker = net.connect({ host: LOOPBACK, port: brokerPort });
    open.add(device);
    const close = (): void => {
      open.delete(device);
      device.destroy();
      broker.destroy();
    };
    device.on('error', close).on('close', close);
    broker.on('error', close).on('close', close);
    device.pipe(broker);
    broker.pipe(device);
  });
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));

  return {
    port: (server.address() as net.AddressInfo).port,
    refuse: () => {
      refusing = true;
      for (const device of open) device.destroy();
    },
    accept: () => {
      refusing = false;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const device of open) device.destroy();
        server.close(() => resolve());
      }),
  };
}
