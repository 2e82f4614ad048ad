// netevd's own style: <event>.d, the event's variables only.
import { ruleBroken } from "../../config/script-rules";
import type { ScriptStyle } from "./style";

export const netevdStyle: ScriptStyle = {
  name: "netevd",
  otherNamespaces: true,
  runs: (e) => [{ subdir: `${e.event}.d`, args: [] }],
  environment: () => Promise.resolve({}),
  rule: ruleBroken,
};
