// NetworkManager's D-Bus names, and reading its property dictionaries.
export const NM = "org.freedesktop.NetworkManager";
export const NM_PATH = "/org/freedesktop/NetworkManager";
export const DEVICE = "org.freedesktop.NetworkManager.Device";
export const PROPS = "org.freedesktop.DBus.Properties";

/** A GetAll answer or a PropertiesChanged dictionary: values as dbus-next gives them. */
export type Props = Record<string, { value: unknown }>;

/** A string property's value (the fallback when absent, empty or not a string). */
export const str = (p: Props, key: string, fallback = ""): string => {
  const v = p[key]?.value;
  return typeof v === "string" && v !== "" ? v : fallback;
};
