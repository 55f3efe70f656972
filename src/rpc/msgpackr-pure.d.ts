/**
 * Types for msgpackr's pure-JavaScript entry point. `msgpackr` itself loads the optional native
 * addon msgpackr-extract when it is installed; `msgpackr/index-no-eval` never does (and never uses
 * `new Function` either), which keeps zmtp free of native code. Same classes, same wire format.
 */
declare module "msgpackr/index-no-eval" {
  export { Packr, Unpackr, isNativeAccelerationEnabled } from "msgpackr"
}
