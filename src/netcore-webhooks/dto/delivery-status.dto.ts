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
  @IsString()
  @MaxLength(64)
  category?: string;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  pricing_model?: string;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  type?: string;
}

/** One item of `delivery_status`, with Netcore's field names. Extra fields are allowed and kept raw. */
export class DeliveryStatusDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  ncmessage_id!: string;

  @IsString()
  @Matches(STATUS_TOKEN, { message: 'status must be a lower-case token such as "sent" or "delivered"' })
  status!: string;

  @IsReceivedAt()
  received_at!: string | number;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  recipient?: string;

  @IsOptional()
  @IsString()
  @MaxLength(64)
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
  @IsObject()
  @ValidateNested()
  @Type(() => DeliveryStatusPricingDto)
  pricing?: DeliveryStatusPricingDto;
}
