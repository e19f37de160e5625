import type { CommandContext } from './context.js';

export interface OptionSpec {
  /** commander's flags: `--since <when>`, `-o, --out <file>`, `--no-probe`. */
  flags: string;
  description: string;
  default?: string;
  /** Repeatable, and each value may itself be comma-separated: all collected into one list. */
  list?: boolean;
  /** One comma-separated value, split into a list. */
  csv?: boolean;
  choices?: readonly string[];
  required?: boolean;
}

/** A positional argument checked by its own parser, e.g. the client of client-config. */
interface ArgumentSpec<Value = unknown> {
  name: string;
  description: string;
  parse(value: string): Value;
}

/**
 * What a command takes, as data: its handler is typed from it (`Handler`), the options from the flags
 * (`--key-file <path>` gives `keyFile: string | undefined`), the positional arguments from `args` (`<file>` a
 * string, `[service]` one that may be absent) or from the parser of `argument`. Renaming a flag renames the field,
 * so every use of the old name stops compiling.
 */
export interface CommandSpec<
  Name extends string = string,
  Args extends string = string,
  Parsed = unknown,
  Options extends readonly OptionSpec[] = readonly OptionSpec[],
> {
  /** `up`, or `keys create` for a command of a group. */
  name: Name;
  /** Positional arguments in commander's syntax: `<file>`, `[service]`. */
  args?: Args;
  argument?: ArgumentSpec<Parsed>;
  description: string;
  options?: Options;
}

/** The declaration as written, its literal flags kept (`const`), so the handler's types follow from them. */
export function defineCommand<const Name extends string, const Args extends string = never, Parsed = never, const Options extends readonly OptionSpec[] = []>(
  spec: CommandSpec<Name, Args, Parsed, Options>,
): CommandSpec<Name, Args, Parsed, Options> {
  return spec;
}

/** The handler of a declared command: the positional arguments and the options its declaration gives. */
export type Handler<Spec> =
  Spec extends CommandSpec<string, infer Args, infer Parsed, infer Options>
    ? (ctx: CommandContext, args: ArgsOf<Args, Parsed>, options: OptionsOf<Options>) => Promise<void>
    : never;

/**
 * A command with its handler, as program.ts registers it: commander hands every action a list and a record. This
 * is where commander's parse meets the types above (`run` is a method, so a typed handler fits here);
 * test/cli/command-spec.test.ts shows that the two agree.
 */
export interface RunnableCommand extends CommandSpec {
  run(ctx: CommandContext, args: unknown[], options: Record<string, unknown>): Promise<void>;
}

/** What commander hands the action for each positional argument: `<x>` a string, `[x]` maybe one, `<x...>` a list. */
type ArgValue<Word extends string> = (Word extends `${string}...${'>' | ']'}` ? string[] : string) | (Word extends `[${string}` ? undefined : never);
type ArgValues<Args extends string> = Args extends `${infer Word} ${infer Rest}` ? [ArgValue<Word>, ...ArgValues<Rest>] : [ArgValue<Args>];
type ArgsOf<Args extends string, Parsed> = [Parsed] extends [never] ? ([Args] extends [never] ? [] : ArgValues<Args>) : [Parsed];

/** The long flag's name: `key-file` from `--key-file <path>`, `out` from `-o, --out <dir>`. */
type LongName<Flags extends string> = Flags extends `${string}--${infer Rest}` ? (Rest extends `${infer Name} ${string}` ? Name : Rest) : never;
type Camel<Name extends string> = Name extends `${infer Head}-${infer Tail}` ? `${Head}${Capitalize<Camel<Tail>>}` : Name;
type Positive<Name extends string> = Name extends `no-${infer Positive}` ? Positive : Name;
/** commander's attribute name: camel case, `--no-probe` sets `probe`. */
type OptionKey<Flags extends string> = Camel<Positive<LongName<Flags>>>;

type Negated<Flags extends string> = Flags extends `${string}--no-${string}` ? true : false;
/** commander's variadic rule: dots right after a word character, so `<sk-...>` is one value and `<id...>` a list. */
type Variadic<Flags extends string> = Flags extends `${string}-...>` ? false : Flags extends `${string}...>` ? true : false;
type Text<Spec extends OptionSpec> = Spec extends { choices: readonly (infer Choice)[] } ? Choice : string;
type Many<Spec extends OptionSpec> = Spec extends { list: true } | { csv: true } ? true : Variadic<Spec['flags']>;
/** The value of a flag the user gave: its text (a list, a choice), `true` for a switch, `false` for `--no-x`. */
type Given<Spec extends OptionSpec> = Spec['flags'] extends `${string} <${string}`
  ? Many<Spec> extends true
    ? string[]
    : Text<Spec>
  : Spec['flags'] extends `${string} [${string}`
    ? Text<Spec> | true
    : Negated<Spec['flags']> extends true
      ? false
      : true;
/**
 * The value commander leaves for an option: absent unless mandatory or defaulted; a lone `--no-x` defaults x to
 * true. A `--x`, `--no-x` pair (probe's --llm) is the union of both: true, false or absent, as commander leaves it.
 */
type Value<Spec extends OptionSpec> =
  | Given<Spec>
  | (Spec extends { required: true } | { default: string } ? never : Negated<Spec['flags']> extends true ? true : undefined);

type ValueFor<Spec, Key extends string> = Spec extends OptionSpec ? (OptionKey<Spec['flags']> extends Key ? Value<Spec> : never) : never;

/**
 * The options a handler receives: one field per declared flag, `undefined` where commander may leave it out. Every
 * field is present in the type, so a use of a renamed flag, or an interface that names it, no longer compiles; a
 * handler hands its use case each field by name (not the whole record) for the same reason.
 */
export type OptionsOf<Options extends readonly OptionSpec[]> = { [Key in OptionKey<Options[number]['flags']>]: ValueFor<Options[number], Key> };
