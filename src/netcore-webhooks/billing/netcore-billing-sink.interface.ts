/** A billable message to charge once. */
export interface NetcoreBillingCharge {
  ncmessageId: string;
  category: string;
  pricingModel: string;
  pricingType: string;
  /** `received_at` of the first billable event. */
  chargedAt: Date;
}

/** A charge to cancel: the message failed without being delivered or read. */
export interface NetcoreBillingVoid {
  ncmessageId: string;
  /** The failure's `status_remark`. */
  reason: string;
  /** `received_at` of the failure. */
  voidedAt: Date;
}

/** A voided charge that stands again: a `delivered` or `read` arrived after the failure. */
export interface NetcoreBillingRestore {
  ncmessageId: string;
  /** `received_at` of the earliest delivery evidence. */
  deliveredAt: Date;
}

/**
 * Where billing decisions go. The module decides (one charge per message, void on failure, restore on a
 * later delivery) and calls the sink once per decision; after a crash between the call and its
 * bookkeeping the same call can come again, so implementations must be idempotent per `ncmessageId`.
 * When a worker's 30 s claim on a message runs out (it crashed, or a call took longer), the module cannot
 * know whether that worker's call reached the sink, and makes the call that brings the sink to the decision
 * from either state: `void` may then come for a message never charged, and `restore` for a charge never
 * voided; both must do nothing then. A call that throws is retried with its event.
 */
export interface NetcoreBillingSink {
  charge(charge: NetcoreBillingCharge): Promise<void>;
  /**
   * Optional: several charges at once, with the same meaning as calling `charge` for each (a batch of
   * events usually charges many messages; the default ledger writes them in one statement). Used when present.
   */
  chargeMany?(charges: NetcoreBillingCharge[]): Promise<void>;
  void(voided: NetcoreBillingVoid): Promise<void>;
  /** Optional: several voids at once, with the same meaning as calling `void` for each. Used when present. */
  voidMany?(voids: NetcoreBillingVoid[]): Promise<void>;
  restore(restored: NetcoreBillingRestore): Promise<void>;
  /** Optional: several restores at once, with the same meaning as calling `restore` for each. Used when present. */
  restoreMany?(restores: NetcoreBillingRestore[]): Promise<void>;
}

/** Injection token of the billing sink (`@Inject(NetcoreBillingSink)`). */
export const NetcoreBillingSink = Symbol('NetcoreBillingSink');
