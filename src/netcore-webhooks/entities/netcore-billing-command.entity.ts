import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from './epoch-ms.transformer';
import { WorkRowColumns } from './work-row-columns';

/** Commands still to send, written as the partial index's WHERE (SQLite uses it only for a query that repeats it). */
export const UNSENT_COMMANDS = `"state" IN ('pending', 'failed')`;

export type NetcoreBillingCommandKind = 'charge' | 'void' | 'restore';
export type NetcoreBillingCommandState = 'pending' | 'failed' | 'sent' | 'dead';

/**
 * The billing outbox, written with the facts behind each command and sent at least once; facts only grow, so
 * `<ncmessageId>:<kind>` is both the primary key and the sink's idempotency key.
 */
@Entity({ name: 'netcore_billing_commands' })
@Index('idx_netcore_billing_commands_due', ['createdAt'], { where: UNSENT_COMMANDS })
@Index('idx_netcore_billing_commands_message', ['ncmessageId'])
export class NetcoreBillingCommand extends WorkRowColumns {
  /** `<ncmessageId>:<kind>`. */
  @PrimaryColumn({ type: 'varchar', length: 140 })
  id!: string;

  @Column({ name: 'ncmessage_id', type: 'varchar', length: 128 })
  ncmessageId!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: NetcoreBillingCommandKind;

  /** Order within the message: charge 1, void 2, restore 3. A command is sent only after the earlier ones. */
  @Column({ type: 'integer' })
  seq!: number;

  /** The sink call's argument (JSON). */
  @Column({ type: 'text' })
  payload!: string;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  state!: NetcoreBillingCommandState;

  @Column({ name: 'sent_at', type: 'bigint', nullable: true, transformer: epochMs })
  sentAt!: Date | null;
}
