/**
 * The signed-in part of the app: notes kept by the example API. Every call goes through
 * `useAuth().fetch`, which sends the session cookies and refreshes the 60-second access token
 * first when it is due, so the API always sees a valid token.
 */
import { useEffect, useState, type FormEvent, type ReactNode } from "react";
import { useAuth, useSession, useUser } from "@gatehouse/react";
import { API_URL } from "./config.js";

interface Note {
  id: number;
  text: string;
  created_at: string;
}

/** Seconds until the access token expires, ticking, to watch the client refresh it. */
function TokenClock(): ReactNode {
  const { accessTokenExpiresAt } = useSession();
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  if (accessTokenExpiresAt === null) return null;
  return (
    <p className="muted">
      Access token refreshes ahead of expiry: {Math.max(0, Math.round((accessTokenExpiresAt - now) / 1000))} s left.
      Open this page in two tabs: only one of them refreshes it.
    </p>
  );
}

/** The notes list and form. */
export function Notes(): ReactNode {
  const { fetch } = useAuth();
  const { user } = useUser();
  const [notes, setNotes] = useState<Note[] | null>(null);
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    void fetch(`${API_URL}/api/notes`).then(async (response) => {
      if (!cancelled && response.ok) setNotes(((await response.json()) as { data: Note[] }).data);
    });
    return () => {
      cancelled = true;
    };
  }, [fetch]);

  async function add(event: FormEvent): Promise<void> {
    event.preventDefault();
    setError(null);
    const response = await fetch(`${API_URL}/api/notes`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text }),
    });
    if (!response.ok) {
      setError(((await response.json()) as { detail?: string }).detail ?? "Could not save the note.");
      return;
    }
    const note = (await response.json()) as Note;
    setNotes((current) => [note, ...(current ?? [])]);
    setText("");
  }

  return (
    <section className="panel" aria-labelledby="notes-title">
      <h1 id="notes-title">Hello, {user?.name ?? user?.email}</h1>
      <TokenClock />
      <form className="note-form" onSubmit={(event) => void add(event)}>
        <label htmlFor="note">New note</label>
        <div className="note-row">
          <input id="note" value={text} onChange={(event) => setText(event.target.value)} maxLength={500} />
          <button type="submit">Add</button>
        </div>
        <p role="alert" className="error">
          {error}
        </p>
      </form>
      {notes === null ? (
        <p className="muted">Loading…</p>
      ) : notes.length === 0 ? (
        <p className="muted">No notes yet.</p>
      ) : (
        <ul className="notes">
          {notes.map((note) => (
            <li key={note.id}>{note.text}</li>
          ))}
        </ul>
      )}
    </section>
  );
}
