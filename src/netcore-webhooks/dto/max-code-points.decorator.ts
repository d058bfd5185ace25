import { registerDecorator, type ValidationOptions } from 'class-validator';

/**
 * A string of at most `max` characters as a varchar(max) column counts them: code points. class-validator's
 * MaxLength does not count variation selectors, so 128 of "a\uFE0F" passed it at 256 characters, and the
 * database refused the whole batch (a 400 that lost its valid events too) instead of one dead letter.
 */
export function MaxCodePoints(max: number, validationOptions?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'maxCodePoints',
      target: target.constructor,
      propertyName: propertyName as string,
      constraints: [max],
      options: { message: `$property must be at most ${max} characters`, ...validationOptions },
      // UTF-16 units never undercount code points: the usual short value needs no counting. A lone surrogate
      // counts one, as the U+FFFD PostgreSQL stores for it.
      validator: { validate: (value: unknown) => typeof value === 'string' && (value.length <= max || [...value].length <= max) },
    });
}
