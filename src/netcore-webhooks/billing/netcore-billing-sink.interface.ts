/** What every billing command carries. */
export interface NetcoreBillingCommandBase {
  /** `<ncmessageId>:<kind>`: the same for every delivery of this command. Dedupe on it. */
  idempotencyKey: string;
  ncmessageId: string;
}

/** A billable message to charge. */
export interface NetcoreBillingCharge extends NetcoreBillingCommandBase {
  category: string;
  pricingModel: string;
  pricingType: string;
  /** `received_at` of the earliest billable event known when the charge was decided. */
  chargedAt: Date;
}

/** A charge to cancel: the message failed without being delivered or read. */
export interface NetcoreBillingVoid extends NetcoreBillingCommandBase {
  /** The failure's `status_remark`. */
  reason: string;
  /** `received_at` of the failure. */
  voidedAt: Date;
}

/** A voided charge that stands again: a `delivered` or `read` arrived after the failure. */
export interface NetcoreBillingRestore extends NetcoreBillingCommandBase {
  /** `received_at` of the earliest delivery evidence. */
  deliveredAt: Date;
}

/**
 * Where billing decisions go. Each call is delivered at least once, in order per message (charge, then void,
 * then restore), with an `idempotencyKey` the sink must dedupe on: apply each key once. A call that throws is
 * retried with backoff, then kept as a dead letter (reason `billing`) to replay.
 */
export interface NetcoreBillingSink {
  charge(charge: NetcoreBillingCharge): Promise<void>;
  void(voided: NetcoreBillingVoid): Promise<void>;
  restore(restored: NetcoreBillingRestore): Promise<void>;
}

/** Injection token of the billing sink (`@Inject(NetcoreBillingSink)`). */
export const NetcoreBillingSink = Symbol('NetcoreBillingSink');
