/**
 * Form state shared by every component: running an action once at a time, turning the API's
 * problem codes into catalogue messages (form-level or on the field they concern), and moving
 * focus to the first field in error — or to the announcement region — so keyboard and screen
 * reader users land where the problem is.
 */
import { useCallback, useEffect, useRef, useState, type RefObject } from "react";
import { GatehouseAPIError } from "../browser/api.js";
import { formatMessage, type Messages } from "../messages/index.js";

/** Which field an API error concerns, by the problem's code or its JSON pointer. */
const FIELD_OF_CODE: Record<string, string> = {
  password_too_short: "password",
  password_too_long: "password",
  password_too_common: "password",
  email_taken: "email",
  invalid_code: "code",
  invalid_phone_number: "phone_number",
};

/** The catalogue message for an error, in the user's language. */
export function errorMessage(error: unknown, messages: Messages): string {
  const catalogue = messages.errors as Record<string, string>;
  if (!(error instanceof GatehouseAPIError)) return catalogue.unknown!;
  if (error.code === "rate_limited") {
    return error.retryAfterSeconds !== null
      ? formatMessage(catalogue.rate_limited!, { seconds: Math.ceil(error.retryAfterSeconds) })
      : catalogue.rate_limited_soon!;
  }
  return catalogue[error.code] ?? catalogue.unknown!;
}

function fieldMessage(pointer: string, messages: Messages): [string, string] {
  const field = pointer.replace(/^\//, "").split("/")[0] ?? "";
  if (field === "email") return [field, messages.errors.email_invalid];
  if (field === "code") return [field, messages.errors.code_invalid];
  if (field === "password") return [field, messages.errors.password_required];
  return [field, messages.errors.validation_failed];
}

/** What {@link useForm} returns. */
export interface FormState {
  busy: boolean;
  /** The form-level error message, or null. */
  error: string | null;
  /** Error messages by field name. */
  fieldErrors: Record<string, string>;
  /** A success or information message, or null. */
  notice: string | null;
  setNotice(message: string | null): void;
  /** Shows a form-level error that did not come from this form's own action, and focuses it. */
  setError(message: string): void;
  /** Reports problems found before sending (empty fields) and focuses the first one. */
  invalid(fieldErrors: Record<string, string>): void;
  /**
   * Runs `action` unless one is running; an error it throws becomes the form's error (or a
   * field's), and focus moves to it. Resolves true when the action succeeded.
   */
  run(action: () => Promise<void>): Promise<boolean>;
  /** The announcement region, focused for form-level errors. */
  noticeRef: RefObject<HTMLDivElement | null>;
  /** Registers a field's input, so focus can move to it when it is in error. */
  register(name: string): (element: HTMLInputElement | null) => void;
  reset(): void;
}

/**
 * Form state for one form.
 * @param messages - the catalogue, for error messages.
 */
export function useForm(messages: Messages): FormState {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [notice, setNotice] = useState<string | null>(null);
  const running = useRef(false);
  const noticeRef = useRef<HTMLDivElement | null>(null);
  const inputs = useRef(new Map<string, HTMLInputElement>());

  // What to focus once React has rendered the messages (the first field with an error, or the
  // notice for `{}`), so the focused element is already described by them. An effect, not an
  // animation frame: it runs right after that render, also in a page the browser is not
  // painting, and after anything the render itself focused (an `autoFocus` field).
  const [focusRequest, setFocusRequest] = useState<{ fields: Record<string, string> } | null>(null);
  useEffect(() => {
    if (!focusRequest) return;
    const name = Object.keys(focusRequest.fields).find((each) => inputs.current.has(each));
    if (name) inputs.current.get(name)?.focus();
    else noticeRef.current?.focus();
  }, [focusRequest]);
  const focusFirst = useCallback((fields: Record<string, string>) => setFocusRequest({ fields }), []);

  const invalid = useCallback(
    (fields: Record<string, string>) => {
      setError(null);
      setNotice(null);
      setFieldErrors(fields);
      focusFirst(fields);
    },
    [focusFirst],
  );

  const fail = useCallback(
    (message: string) => {
      setNotice(null);
      setFieldErrors({});
      setError(message);
      focusFirst({});
    },
    [focusFirst],
  );

  const run = useCallback(
    async (action: () => Promise<void>): Promise<boolean> => {
      if (running.current) return false;
      running.current = true;
      setBusy(true);
      setError(null);
      setNotice(null);
      setFieldErrors({});
      try {
        await action();
        return true;
      } catch (caught) {
        const fields: Record<string, string> = {};
        let formError: string | null = null;
        if (caught instanceof GatehouseAPIError && caught.code === "validation_failed" && caught.fieldErrors.length) {
          for (const problem of caught.fieldErrors) {
            const [field, message] = fieldMessage(problem.pointer, messages);
            fields[field] ??= message;
          }
        } else if (caught instanceof GatehouseAPIError && FIELD_OF_CODE[caught.code]) {
          fields[FIELD_OF_CODE[caught.code]!] = errorMessage(caught, messages);
        } else {
          formError = errorMessage(caught, messages);
        }
        // A field error with no such field in this form is said at form level instead.
        const shown = Object.fromEntries(Object.entries(fields).filter(([name]) => inputs.current.has(name)));
        const unplaced = Object.values(fields).filter((_, index) => !(Object.keys(fields)[index]! in shown));
        setFieldErrors(shown);
        setError(formError ?? unplaced[0] ?? null);
        focusFirst(formError !== null || unplaced.length > 0 ? {} : shown);
        return false;
      } finally {
        running.current = false;
        setBusy(false);
      }
    },
    [messages, focusFirst],
  );

  const register = useCallback(
    (name: string) => (element: HTMLInputElement | null) => {
      if (element) inputs.current.set(name, element);
      else inputs.current.delete(name);
    },
    [],
  );

  const reset = useCallback(() => {
    setError(null);
    setNotice(null);
    setFieldErrors({});
  }, []);

  return { busy, error, fieldErrors, notice, setNotice, setError: fail, invalid, run, noticeRef, register, reset };
}

/** Whether `error` is the API's (or the client's) error with this code. */
export function hasCode(error: unknown, code: string): error is GatehouseAPIError {
  return error instanceof GatehouseAPIError && error.code === code;
}

/** A loose check that catches typos before a round trip; the server has the real rule. */
export function looksLikeEmail(value: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value.trim());
}

/**
 * `?redirect_url=` of the current page, when it stays on this origin; null otherwise. Anything
 * pointing elsewhere is ignored, so a crafted link cannot turn sign-in into an open redirect.
 * (The hosted pages get theirs from the server, checked against the allowed origins.)
 */
export function sameOriginRedirectFromQuery(): string | null {
  if (typeof window === "undefined") return null;
  const value = new URLSearchParams(window.location.search).get("redirect_url");
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (!value || /[\u0000-\u001f\u007f\\]/.test(value)) return null;
  // A path, or an absolute http(s) URL spelled out; nothing a browser might read differently.
  const isPath = value.startsWith("/") && !value.startsWith("//");
  if (!isPath && !/^https?:\/\/[^/?#]/i.test(value)) return null;
  try {
    const url = new URL(value, window.location.href);
    if (url.origin !== window.location.origin || url.username || url.password) return null;
    return url.href;
  } catch {
    return null;
  }
}

/** The redirect after a flow: the explicit one, else a same-origin `?redirect_url=`, else the default path. */
export function destination(redirectURL: string | null | undefined, fallback: string): string {
  if (redirectURL && redirectURL.length > 0) return redirectURL;
  return sameOriginRedirectFromQuery() ?? fallback;
}
