export { apply, type Outcome } from "./apply.ts";
export { type RetireOutcome, retire } from "./retire.ts";
export {
  createState,
  DURATION_BUCKETS_SECONDS,
  type Identity,
  isRetired,
  type Latest,
  type State,
} from "./state.ts";
