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
 * later delivery) and calls the sink once per decision. When it cannot know whether a call took effect (the
 * call threw, perhaps after taking effect as a client timeout does; the worker died; or the call outlasted
 * the worker's 30 s claim on the message), it makes the calls that reach the decision from any state: a
 * `charge`, then a `restore` if the message was ever delivered, for a charge; a `void` for a void. So each
 * call must be idempotent per `ncmessageId` and do nothing where it does not apply: a `charge` of a message
 * already charged or voided, a `void` of a message never charged, a `restore` of a charge never voided. A
 * call that throws is retried with its event.
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
