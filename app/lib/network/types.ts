/**
 * Calls `onChange` when the device gains (true) or loses (false) its network, and once at the start
 * if it is known to have none; returns the function that stops watching.
 */
export type DeviceNetworkWatcher = (onChange: (online: boolean) => void) => () => void;
