import { registerDecorator, type ValidationOptions } from 'class-validator';

/** Code points in `value`, as PostgreSQL's varchar(n) counts characters (a lone surrogate becomes one U+FFFD). */
export function codePointCount(value: string): number {
  let count = value.length;
  for (let i = 0; i < value.length - 1; i++) {
    const unit = value.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        count--;
        i++;
      }
    }
  }
  return count;
}

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
      // UTF-16 units never undercount code points: the usual short value needs no counting.
      validator: { validate: (value: unknown) => typeof value === 'string' && (value.length <= max || codePointCount(value) <= max) },
    });
}
