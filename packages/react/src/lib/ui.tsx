/**
 * The building blocks every component is made of: the themed root, the card, labelled fields,
 * buttons and the live error region. They carry the accessibility rules in one place — every
 * input has a visible label, errors are tied to their field (`aria-describedby`,
 * `aria-invalid`) and announced (`role="alert"`), and a step change moves focus to its heading.
 */
import {
  useEffect,
  useId,
  useRef,
  useState,
  type ButtonHTMLAttributes,
  type InputHTMLAttributes,
  type ReactNode,
  type Ref,
} from "react";
import { useGatehouse } from "../provider/context.js";

/** The element every component renders inside: carries the theme and the `gh-` styles. */
export function Root({ children, className }: { children: ReactNode; className?: string }): ReactNode {
  const { theme } = useGatehouse();
  return (
    <div className={className ? `gh-root ${className}` : "gh-root"} data-gh-theme={theme}>
      {children}
    </div>
  );
}

/** The `step` of a card shown while the session is loading. */
export const LOADING_STEP = "loading";

/**
 * A card with a heading. When `step` changes after the first render, focus moves to the
 * heading, so a screen reader announces the new step and keyboard users start from its top.
 */
export function Card(props: {
  title: string;
  subtitle?: ReactNode;
  step?: string;
  children: ReactNode;
  footer?: ReactNode;
  icon?: ReactNode;
}): ReactNode {
  const headingId = useId();
  const heading = useRef<HTMLHeadingElement>(null);
  const previousStep = useRef(props.step);
  useEffect(() => {
    const previous = previousStep.current;
    previousStep.current = props.step;
    // The end of loading is the page appearing, not a new step: the form's own autofocus wins.
    if (previous !== props.step && previous !== LOADING_STEP) heading.current?.focus();
  }, [props.step]);
  return (
    <Root>
      <section className="gh-card" aria-labelledby={headingId}>
        <header className="gh-card-header">
          {props.icon ? <div className="gh-card-icon">{props.icon}</div> : null}
          <h1 className="gh-title" id={headingId} ref={heading} tabIndex={-1}>
            {props.title}
          </h1>
          {props.subtitle ? <p className="gh-subtitle">{props.subtitle}</p> : null}
        </header>
        <div className="gh-card-body">{props.children}</div>
        {props.footer ? <footer className="gh-card-footer">{props.footer}</footer> : null}
      </section>
    </Root>
  );
}

/** Props of {@link Field}. */
export interface FieldProps extends Omit<InputHTMLAttributes<HTMLInputElement>, "onChange" | "value"> {
  label: string;
  value: string;
  onChange(value: string): void;
  /** The field's error, shown under it and announced. */
  error?: string | null;
  /** Help shown under the field. */
  hint?: ReactNode;
  /** Shown after the label, e.g. "optional". */
  labelNote?: string;
  inputRef?: Ref<HTMLInputElement>;
  /** Something shown beside the label, e.g. a "Forgot password?" link. */
  aside?: ReactNode;
}

/** A labelled text input with its hint and error. */
export function Field({
  label,
  value,
  onChange,
  error,
  hint,
  labelNote,
  inputRef,
  aside,
  id: givenId,
  type = "text",
  children,
  className,
  ...input
}: FieldProps): ReactNode {
  const generated = useId();
  const id = givenId ?? generated;
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint ? hintId : null, error ? errorId : null].filter(Boolean).join(" ") || undefined;
  return (
    <div className="gh-field">
      <div className="gh-label-row">
        <label className="gh-label" htmlFor={id}>
          {label}
          {labelNote ? <span className="gh-label-note"> ({labelNote})</span> : null}
        </label>
        {aside}
      </div>
      <div className="gh-input-wrap">
        <input
          {...input}
          id={id}
          ref={inputRef}
          type={type}
          className={["gh-input", children ? "gh-input-has-action" : null, className].filter(Boolean).join(" ")}
          value={value}
          onChange={(event) => onChange(event.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy}
        />
        {children}
      </div>
      {hint ? (
        <p className="gh-hint" id={hintId}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p className="gh-field-error" id={errorId}>
          <AlertIcon />
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** A password input with a show/hide toggle. */
export function PasswordField(props: FieldProps): ReactNode {
  const { messages } = useGatehouse();
  const [visible, setVisible] = useState(false);
  const generated = useId();
  const inputId = props.id ?? generated;
  return (
    <Field {...props} id={inputId} type={visible ? "text" : "password"}>
      <button
        type="button"
        className="gh-input-toggle"
        // Named "Show"/"Hide", not "Show password": the field's label must stay the only thing
        // called "Password", for people and for tests looking it up by label.
        aria-controls={inputId}
        aria-label={visible ? messages.common.hidePassword : messages.common.showPassword}
        aria-pressed={visible}
        onClick={() => setVisible((shown) => !shown)}
      >
        {visible ? <EyeOffIcon /> : <EyeIcon />}
      </button>
    </Field>
  );
}

/** Props of {@link Button}. */
export interface ButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  /** @default "primary" */
  variant?: "primary" | "secondary" | "ghost" | "danger" | "link";
  /** Shows a spinner and refuses clicks while an action runs. */
  busy?: boolean;
  /** The button element, e.g. to focus it (a plain prop since React 19). */
  ref?: Ref<HTMLButtonElement>;
}

/** A button; `busy` keeps it focusable but inert while its action runs. */
export function Button({
  variant = "primary",
  busy = false,
  className,
  children,
  onClick,
  ref,
  ...rest
}: ButtonProps): ReactNode {
  return (
    <button
      type="button"
      {...rest}
      ref={ref}
      className={`gh-button gh-button-${variant}${className ? ` ${className}` : ""}`}
      aria-busy={busy || undefined}
      // aria-disabled, not disabled: the button keeps focus while its action runs.
      aria-disabled={busy || rest.disabled || undefined}
      onClick={(event) => {
        if (busy) {
          event.preventDefault();
          return;
        }
        onClick?.(event);
      }}
    >
      {busy ? <span className="gh-spinner" aria-hidden="true" /> : null}
      <span>{children}</span>
    </button>
  );
}

/**
 * The form's announcement region. It is always in the page (empty when there is nothing to say),
 * so screen readers announce a message the moment it appears.
 */
export function Notice({
  tone,
  children,
  noticeRef,
}: {
  tone: "error" | "success" | "info";
  children: ReactNode;
  noticeRef?: Ref<HTMLDivElement>;
}): ReactNode {
  const empty = children === null || children === undefined || children === false || children === "";
  return (
    <div
      ref={noticeRef}
      role={tone === "error" ? "alert" : "status"}
      tabIndex={-1}
      className={empty ? "gh-notice-empty" : `gh-notice gh-notice-${tone}`}
    >
      {empty ? null : (
        <>
          {tone === "error" ? <AlertIcon /> : tone === "success" ? <CheckIcon /> : <InfoIcon />}
          <span>{children}</span>
        </>
      )}
    </div>
  );
}

/** A titled section of an account page. */
export function Section({ title, intro, children }: { title: string; intro?: string; children: ReactNode }): ReactNode {
  const id = useId();
  return (
    <section className="gh-section" aria-labelledby={id}>
      <div className="gh-section-head">
        <h2 className="gh-section-title" id={id}>
          {title}
        </h2>
        {intro ? <p className="gh-muted">{intro}</p> : null}
      </div>
      <div className="gh-section-body">{children}</div>
    </section>
  );
}

/** A button that shows and hides a form below it. */
export function Disclosure({
  label,
  children,
}: {
  label: string;
  children: (close: () => void) => ReactNode;
}): ReactNode {
  const [open, setOpen] = useState(false);
  const id = useId();
  return (
    <div className="gh-disclosure">
      <Button variant="secondary" aria-expanded={open} aria-controls={id} onClick={() => setOpen((shown) => !shown)}>
        {label}
      </Button>
      <div id={id} hidden={!open} className="gh-disclosure-panel">
        {open ? children(() => setOpen(false)) : null}
      </div>
    </div>
  );
}

/** A horizontal rule with a word in it ("or"). */
export function Divider({ label }: { label: string }): ReactNode {
  return (
    <div className="gh-divider" role="separator" aria-label={label}>
      <span aria-hidden="true">{label}</span>
    </div>
  );
}

/** The small print under every card. */
export function Branding(): ReactNode {
  const { messages } = useGatehouse();
  return (
    <p className="gh-branding">
      <ShieldIcon />
      {messages.common.securedBy}
    </p>
  );
}

const icon = {
  width: 16,
  height: 16,
  viewBox: "0 0 24 24",
  fill: "none",
  stroke: "currentColor",
  strokeWidth: 2,
  strokeLinecap: "round",
  strokeLinejoin: "round",
  "aria-hidden": true,
  focusable: false,
} as const;

/** Icon: an eye (show password). */
export const EyeIcon = (): ReactNode => (
  <svg {...icon}>
    <path d="M2 12s3.5-7 10-7 10 7 10 7-3.5 7-10 7S2 12 2 12z" />
    <circle cx="12" cy="12" r="3" />
  </svg>
);
/** Icon: a struck-out eye (hide password). */
export const EyeOffIcon = (): ReactNode => (
  <svg {...icon}>
    <path d="M10.7 5.1A10.9 10.9 0 0 1 12 5c6.5 0 10 7 10 7a17.6 17.6 0 0 1-2.2 3.2M6.6 6.6A17.4 17.4 0 0 0 2 12s3.5 7 10 7a10 10 0 0 0 5.4-1.6" />
    <path d="M9.9 9.9a3 3 0 0 0 4.2 4.2M2 2l20 20" />
  </svg>
);
/** Icon: a circled exclamation mark (errors). */
export const AlertIcon = (): ReactNode => (
  <svg {...icon}>
    <circle cx="12" cy="12" r="10" />
    <path d="M12 8v4M12 16h.01" />
  </svg>
);
/** Icon: a check mark (success). */
export const CheckIcon = (): ReactNode => (
  <svg {...icon}>
    <path d="M20 6 9 17l-5-5" />
  </svg>
);
/** Icon: a circled "i" (information). */
export const InfoIcon = (): ReactNode => (
  <svg {...icon}>
    <circle cx="12" cy="12" r="10" />
    <path d="M12 16v-4M12 8h.01" />
  </svg>
);
/** Icon: an envelope (email flows). */
export const MailIcon = (): ReactNode => (
  <svg {...icon} width={22} height={22}>
    <rect x="2" y="4" width="20" height="16" rx="2" />
    <path d="m22 7-10 6L2 7" />
  </svg>
);
/** Icon: a key (passwords). */
export const KeyIcon = (): ReactNode => (
  <svg {...icon} width={22} height={22}>
    <circle cx="7.5" cy="15.5" r="5.5" />
    <path d="m21 2-9.6 9.6M15.5 7.5l3 3L22 7l-3-3" />
  </svg>
);
/** Icon: a shield (security). */
export const ShieldIcon = (): ReactNode => (
  <svg {...icon} width={14} height={14}>
    <path d="M12 22s8-4 8-10V5l-8-3-8 3v7c0 6 8 10 8 10z" />
  </svg>
);
/** Icon: a laptop (a desktop session). */
export const LaptopIcon = (): ReactNode => (
  <svg {...icon} width={20} height={20}>
    <rect x="3" y="4" width="18" height="12" rx="2" />
    <path d="M2 20h20" />
  </svg>
);
/** Icon: a phone (a mobile session). */
export const PhoneIcon = (): ReactNode => (
  <svg {...icon} width={20} height={20}>
    <rect x="6" y="2" width="12" height="20" rx="2" />
    <path d="M11 18h2" />
  </svg>
);
/** Icon: a door with an arrow (sign out). */
export const SignOutIcon = (): ReactNode => (
  <svg {...icon}>
    <path d="M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4M16 17l5-5-5-5M21 12H9" />
  </svg>
);
/** Icon: a cog (account settings). */
export const SettingsIcon = (): ReactNode => (
  <svg {...icon}>
    <circle cx="12" cy="12" r="3" />
    <path d="M19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8l-.1-.1a1.7 1.7 0 0 0-1.8-.3 1.7 1.7 0 0 0-1 1.5V21a2 2 0 1 1-4 0v-.1a1.7 1.7 0 0 0-1.1-1.5 1.7 1.7 0 0 0-1.8.3l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1a1.7 1.7 0 0 0 .3-1.8 1.7 1.7 0 0 0-1.5-1H3a2 2 0 1 1 0-4h.1a1.7 1.7 0 0 0 1.5-1.1 1.7 1.7 0 0 0-.3-1.8l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1a1.7 1.7 0 0 0 1.8.3H9a1.7 1.7 0 0 0 1-1.5V3a2 2 0 1 1 4 0v.1a1.7 1.7 0 0 0 1 1.5 1.7 1.7 0 0 0 1.8-.3l.1-.1a2 2 0 1 1 2.8 2.8l-.1.1a1.7 1.7 0 0 0-.3 1.8V9a1.7 1.7 0 0 0 1.5 1H21a2 2 0 1 1 0 4h-.1a1.7 1.7 0 0 0-1.5 1z" />
  </svg>
);
