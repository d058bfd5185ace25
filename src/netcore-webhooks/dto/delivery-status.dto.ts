import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { IsReceivedAt } from './is-received-at.decorator';

/** A status is a plain lower-case token, so it can be part of an event name (`message.<status>`). */
export const STATUS_TOKEN = /^[a-z][a-z0-9_]{0,31}$/;

/** `pricing` of one event; absent on failed events. Unknown category/model/type values are kept. */
export class DeliveryStatusPricingDto {
  @IsBoolean()
  billable!: boolean;

  @IsOptional()
  @MaxLength(64)
  @IsString()
  category?: string;

  @IsOptional()
  @MaxLength(64)
  @IsString()
  pricing_model?: string;

  @IsOptional()
  @MaxLength(64)
  @IsString()
  type?: string;
}

/**
 * One item of `delivery_status`, with Netcore's field names. Extra fields are allowed and kept raw.
 * Decorators run bottom-up and validation stops at the first error per field, so the type check sits last.
 */
export class DeliveryStatusDto {
  // PostgreSQL refuses NUL in text: without this check such an item would fail the whole request with 503, forever.
  @Matches(/^[^\u0000]*$/, { message: 'ncmessage_id must not contain NUL characters' })
  @IsNotEmpty()
  @MaxLength(128)
  @IsString()
  ncmessage_id!: string;

  @Matches(STATUS_TOKEN, { message: 'status must be a lower-case token such as "sent" or "delivered"' })
  @IsString()
  status!: string;

  @IsReceivedAt()
  received_at!: string | number;

  @IsOptional()
  @MaxLength(64)
  @IsString()
  recipient?: string;

  @IsOptional()
  @MaxLength(64)
  @IsString()
  phoneNumber?: string;

  @IsOptional()
  @IsString()
  source?: string;

  @IsOptional()
  @IsString()
  status_remark?: string;

  @IsOptional()
  @IsString()
  'x-apiheader'?: string;

  @IsOptional()
  @ValidateNested()
  @Type(() => DeliveryStatusPricingDto)
  @IsObject()
  pricing?: DeliveryStatusPricingDto;
}
