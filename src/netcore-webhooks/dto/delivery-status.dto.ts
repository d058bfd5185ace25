import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  NotContains,
  ValidateNested,
} from 'class-validator';
import { IsReceivedAt } from './is-received-at.decorator';

/** PostgreSQL refuses U+0000 in text columns; refusing it here makes it a dead letter instead of a 503 retried forever. */
const NoNul = () => NotContains('\u0000', { message: '$property must not contain NUL characters' });

/** A status is a plain lower-case token, so it can be part of an event name (`message.<status>`). */
export const STATUS_TOKEN = /^[a-z][a-z0-9_]{0,31}$/;

/** `pricing` of one event; absent on failed events. Unknown category/model/type values are kept. */
export class DeliveryStatusPricingDto {
  @IsBoolean()
  billable!: boolean;

  @IsOptional()
  @MaxLength(64)
  @NoNul()
  @IsString()
  category?: string;

  @IsOptional()
  @MaxLength(64)
  @NoNul()
  @IsString()
  pricing_model?: string;

  @IsOptional()
  @MaxLength(64)
  @NoNul()
  @IsString()
  type?: string;
}

/**
 * One item of `delivery_status`, with Netcore's field names. Extra fields are allowed and kept raw.
 * Decorators run bottom-up and validation stops at the first error per field, so the type check sits last.
 */
export class DeliveryStatusDto {
  @IsNotEmpty()
  @MaxLength(128)
  @NoNul()
  @IsString()
  ncmessage_id!: string;

  @Matches(STATUS_TOKEN, { message: 'status must be a lower-case token such as "sent" or "delivered"' })
  @NoNul()
  @IsString()
  status!: string;

  @IsReceivedAt()
  received_at!: string | number;

  @IsOptional()
  @MaxLength(64)
  @NoNul()
  @IsString()
  recipient?: string;

  @IsOptional()
  @MaxLength(64)
  @NoNul()
  @IsString()
  phoneNumber?: string;

  @IsOptional()
  @NoNul()
  @IsString()
  source?: string;

  @IsOptional()
  @NoNul()
  @IsString()
  status_remark?: string;

  @IsOptional()
  @NoNul()
  @IsString()
  'x-apiheader'?: string;

  @IsOptional()
  @ValidateNested()
  @Type(() => DeliveryStatusPricingDto)
  @IsObject()
  pricing?: DeliveryStatusPricingDto;
}
