// A style by name, for one script directory (a style may remember per directory).
import type { ScriptDirectory } from "../../config/script-styles";
import { netevdStyle } from "./netevd";
import { netevdRustStyle } from "./netevd-rust";
import { networkdDispatcherStyle } from "./networkd-dispatcher";
import { nmDispatcherStyle } from "./nm-dispatcher";
import type { ScriptStyle } from "./style";

export function createStyle(d: Pick<ScriptDirectory, "style" | "ignoreStates">): ScriptStyle {
  switch (d.style) {
    case "netevd":
      return netevdStyle;
    case "netevd-rust":
      return netevdRustStyle;
    case "networkd-dispatcher":
      return networkdDispatcherStyle(d.ignoreStates);
    case "nm-dispatcher":
      return nmDispatcherStyle();
  }
}
