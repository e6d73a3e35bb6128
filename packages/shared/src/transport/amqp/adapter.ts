import type { Logger } from "../../lifecycle/logger.js";
import type { BrokerAdapter, ConsumeOptions, RawConsumer, RawHandler } from "../adapter.js";

/** Placeholder until the RabbitMQ adapter lands. */
export class AmqpAdapter implements BrokerAdapter {
  readonly kind = "amqp";
  constructor(_url: string, _options: { logger: Logger; clientId: string }) {}
  start(_topics: readonly string[]): Promise<void> {
    return Promise.reject(new Error("not implemented"));
  }
  publish(_topic: string, _key: string, _value: Buffer): Promise<void> {
    return Promise.reject(new Error("not implemented"));
  }
  consume(_options: ConsumeOptions, _handler: RawHandler): Promise<RawConsumer> {
    return Promise.reject(new Error("not implemented"));
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}
