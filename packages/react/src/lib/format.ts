/**
 * Small formatting helpers for the account page: a readable device name from a User-Agent,
 * a relative time from the catalogue's words, a user's initials for the avatar.
 */
import { formatMessage, type Messages } from "../messages/index.js";

/** A User-Agent reduced to what a person recognises. */
export interface Device {
  browser: string | null;
  os: string | null;
  mobile: boolean;
}

const BROWSERS: [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\//, "Edge"],
  [/\bOPR\/|\bOpera\b/, "Opera"],
  [/\bSamsungBrowser\//, "Samsung Internet"],
  [/\bFirefox\/|\bFxiOS\//, "Firefox"],
  [/\bChrome\/|\bCriOS\/|\bHeadlessChrome\//, "Chrome"],
  [/\bVersion\/[\d.]+.*Safari\//, "Safari"],
  [/\bcurl\//, "curl"],
  [/\bnode\b|\bundici\b/i, "Node.js"],
];

const SYSTEMS: [RegExp, string][] = [
  [/\biPhone\b|\biPad\b|\biPod\b/, "iOS"],
  [/\bAndroid\b/, "Android"],
  [/\bCrOS\b/, "ChromeOS"],
  [/\bMac OS X\b|\bMacintosh\b/, "macOS"],
  [/\bWindows\b/, "Windows"],
  [/\bLinux\b|\bX11\b/, "Linux"],
];

/** Names the browser and system in a User-Agent, when it says. */
export function parseUserAgent(userAgent: string | null): Device {
  if (!userAgent) return { browser: null, os: null, mobile: false };
  const browser = BROWSERS.find(([pattern]) => pattern.test(userAgent))?.[1] ?? null;
  const os = SYSTEMS.find(([pattern]) => pattern.test(userAgent))?.[1] ?? null;
  return { browser, os, mobile: /\bMobile\b|\biPhone\b|\bAndroid\b/.test(userAgent) };
}

/** "Chrome on macOS", "Firefox", or the catalogue's "Unknown device". */
export function deviceName(userAgent: string | null, messages: Messages): string {
  const { browser, os } = parseUserAgent(userAgent);
  if (browser && os) return formatMessage(messages.userProfile.deviceOn, { browser, os });
  return browser ?? os ?? messages.userProfile.unknownDevice;
}

/** "just now", "5 min ago", "3 h ago", "2 d ago". */
export function relativeTime(iso: string, now: number, messages: Messages): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return messages.time.secondsAgo;
  if (seconds < 3600) return formatMessage(messages.time.minutesAgo, { count: Math.floor(seconds / 60) });
  if (seconds < 86_400) return formatMessage(messages.time.hoursAgo, { count: Math.floor(seconds / 3600) });
  return formatMessage(messages.time.daysAgo, { count: Math.floor(seconds / 86_400) });
}

/** Up to two initials from the name, else the first letter of the address. */
export function initials(name: string | null, email: string): string {
  const words = (name ?? "").trim().split(/\s+/).filter(Boolean);
  if (words.length >= 2) return `${words[0]![0]}${words.at(-1)![0]}`.toUpperCase();
  if (words.length === 1) return words[0]!.slice(0, 1).toUpperCase();
  return email.slice(0, 1).toUpperCase();
}
