import {
  getMetadataStorage,
  IS_BOOLEAN,
  IS_NOT_EMPTY,
  IS_OBJECT,
  IS_STRING,
  isBoolean,
  isNotEmpty,
  isObject,
  isString,
  MATCHES,
  MAX_LENGTH,
  NOT_CONTAINS,
  ValidationTypes,
  type ValidationArguments,
} from 'class-validator';

/** True when every constraint declared on the object's class passes. */
export type ValidityCheck = (object: object) => boolean;

interface ValidationMetadataLike {
  type: string;
  name?: string;
  propertyName: string;
  constraints: unknown[];
  constraintCls: new (...args: unknown[]) => unknown;
  each?: boolean;
  validateIf?: unknown;
  always?: boolean;
  groups?: string[];
}
interface ConstraintLike {
  async: boolean;
  instance: { validate(value: unknown, args: ValidationArguments): unknown };
}
/** One constraint's yes/no for a property value of the object. */
type Test = (value: unknown, object: object) => boolean;
interface PropertyPlan {
  property: string;
  conditions: ValidationMetadataLike[];
  tests: Test[];
  nested: boolean;
}

const compiled = new Map<Function, ValidityCheck | null>();

/**
 * A fast yes/no answer from the constraints declared with class-validator decorators, for the common case of
 * a valid object: the same validator functions `validateSync` calls, without building error objects. The
 * decorators stay the schema. Anything outside the plain case (groups, `each`, `validateIf`, async or promise
 * validation, arrays of nested objects) is not compiled: the check then answers false and the caller asks
 * `validateSync`, which also supplies the messages when an object is invalid.
 */
export function compileValidityCheck(target: Function): ValidityCheck | null {
  if (compiled.has(target)) return compiled.get(target)!;
  compiled.set(target, null); // a class nesting itself is not compiled
  const check = build(target);
  compiled.set(target, check);
  return check;
}

function build(target: Function): ValidityCheck | null {
  const storage = getMetadataStorage();
  const metadatas = storage.getTargetValidationMetadatas(target, '', false, false, undefined) as unknown as ValidationMetadataLike[];
  if (!metadatas.length) return null; // validateSync rejects unknown classes (forbidUnknownValues)
  const plans = new Map<string, PropertyPlan>();
  for (const metadata of metadatas) {
    if (metadata.each || metadata.validateIf || metadata.groups?.length || metadata.always) return null;
    const plan = plans.get(metadata.propertyName) ?? { property: metadata.propertyName, conditions: [], tests: [], nested: false };
    plans.set(metadata.propertyName, plan);
    switch (metadata.type) {
      case ValidationTypes.CONDITIONAL_VALIDATION:
        plan.conditions.push(metadata);
        break;
      case ValidationTypes.CUSTOM_VALIDATION:
      case ValidationTypes.IS_DEFINED:
        for (const constraint of storage.getTargetValidatorConstraints(metadata.constraintCls) as unknown as ConstraintLike[]) {
          if (constraint.async) return null;
          const original = callConstraint(target, metadata, constraint);
          plan.tests.push(fastTest(metadata, original) ?? original);
        }
        break;
      case ValidationTypes.NESTED_VALIDATION:
        plan.nested = true;
        break;
      default:
        return null;
    }
  }
  const properties = [...plans.values()];
  return (object: object) => {
    const record = object as Record<string, unknown>;
    for (const plan of properties) {
      const value = record[plan.property];
      let skip = false;
      for (const condition of plan.conditions) {
        if (!(condition.constraints[0] as (o: object, v: unknown) => boolean)(object, value)) skip = true;
      }
      if (skip) continue;
      for (const test of plan.tests) {
        if (!test(value, object)) return false;
      }
      if (plan.nested && value !== undefined) {
        if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Set || value instanceof Map) return false;
        const nested = compileValidityCheck(value.constructor);
        if (!nested || !nested(value)) return false;
      }
    }
    return true;
  };
}

/** The constraint as validateSync calls it; a promise is not a yes. */
function callConstraint(target: Function, metadata: ValidationMetadataLike, constraint: ConstraintLike): Test {
  const targetName = target.name; // "get name" per call showed in profiles
  return (value, object) => {
    const args: ValidationArguments = {
      targetName: object.constructor === target ? targetName : object.constructor?.name,
      property: metadata.propertyName,
      object,
      value,
      constraints: metadata.constraints,
    };
    const valid = constraint.instance.validate(value, args);
    return !!valid && typeof (valid as Promise<unknown>).then !== 'function';
  };
}

/**
 * The same answer as class-validator's own constraint, without validator.js's option merging, splitting and
 * regex passes over every string. Each answers only where it is sure and asks the original otherwise.
 * Recognised by the name class-validator registers them under, so a custom decorator reusing one of those names
 * would be taken for the built-in.
 */
function fastTest(metadata: ValidationMetadataLike, original: Test): Test | undefined {
  const [first, second] = metadata.constraints ?? [];
  switch (metadata.name) {
    // class-validator's validate is exactly these exported functions
    case IS_STRING:
      return (value) => isString(value);
    case IS_BOOLEAN:
      return (value) => isBoolean(value);
    case IS_OBJECT:
      return (value) => isObject(value);
    case IS_NOT_EMPTY:
      return (value) => isNotEmpty(value);
    case NOT_CONTAINS:
      return notContainsTest(first, original);
    case MAX_LENGTH:
      return maxLengthTest(first, original);
    case MATCHES:
      return matchesTest(first, second, original);
    default:
      return undefined;
  }
}

/** validator's contains is `str.split(String(seed)).length > 1`: for a non-empty string seed, `includes`. */
function notContainsTest(seed: unknown, original: Test): Test | undefined {
  if (typeof seed !== 'string' || seed === '') return undefined;
  return (value, object) => (typeof value === 'string' ? !value.includes(seed) : original(value, object));
}

/** isLength counts a surrogate pair, or a character with its variation selector, as one: never more than `.length`. */
function maxLengthTest(max: unknown, original: Test): Test | undefined {
  if (typeof max !== 'number') return undefined;
  return (value, object) => (typeof value === 'string' && value.length <= max) || original(value, object);
}

/** validator's matches is `!!str.match(pattern)`: the same exec as `test` for a RegExp without g or y (lastIndex). */
function matchesTest(pattern: unknown, modifiers: unknown, original: Test): Test | undefined {
  if (
    !(pattern instanceof RegExp) ||
    Object.prototype.toString.call(pattern) !== '[object RegExp]' ||
    modifiers !== undefined ||
    pattern.global ||
    pattern.sticky ||
    pattern.test !== RegExp.prototype.test ||
    pattern[Symbol.match] !== RegExp.prototype[Symbol.match]
  ) {
    return undefined;
  }
  return (value, object) => (typeof value === 'string' ? pattern.test(value) : original(value, object));
}
