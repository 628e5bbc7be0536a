// Keyboard access to a tool card's toggles (Arguments, Result, the change preview): the card is one Tab
// stop, so Tab does not walk every toggle of a long run. On a focused card, Enter or Space opens or closes
// its main part and the arrow keys move into its toggles; on a toggle, Enter/Space toggle it, Right opens,
// Left closes, Up/Down move, Escape goes back to the card. Each toggle says its state with aria-expanded.
// Cards are re-rendered as output streams in; keepCardFocus puts the focus back where it was.

const TOGGLE = ':scope > details > summary';

function toggles(card: HTMLElement): HTMLElement[] {
  return [...card.querySelectorAll<HTMLElement>(TOGGLE)];
}

/** The part Enter/Space on the card itself opens: the result once there is one, else the arguments. */
function mainToggle(card: HTMLElement): HTMLElement | undefined {
  const all = toggles(card);
  return all.find((s) => s.parentElement?.dataset.part === 'result') ?? all.find((s) => s.parentElement?.dataset.part === 'preview') ?? all[0];
}

function setOpen(summary: HTMLElement, open: boolean): void {
  const details = summary.parentElement as HTMLDetailsElement;
  details.open = open;
  summary.setAttribute('aria-expanded', String(open));
}

function onKey(e: KeyboardEvent): void {
  const target = e.target as HTMLElement;
  const onCard = target.matches?.('.card.tool');
  const summary = onCard ? undefined : target.closest?.<HTMLElement>('.card.tool > details > summary');
  const card = onCard ? target : summary?.closest<HTMLElement>('.card.tool');
  if (!card) return;
  const all = toggles(card);
  const at = summary ? all.indexOf(summary) : -1;
  let handled = true;
  if (e.key === 'Enter' || e.key === ' ') {
    const which = summary ?? mainToggle(card);
    if (which) setOpen(which, !(which.parentElement as HTMLDetailsElement).open);
  } else if ((e.key === 'ArrowDown' || (onCard && e.key === 'ArrowRight')) && all.length) all[Math.min(at + 1, all.length - 1)]!.focus();
  else if (e.key === 'ArrowUp') (at <= 0 ? card : all[at - 1]!).focus();
  else if (e.key === 'Home' && summary) all[0]?.focus();
  else if (e.key === 'End' && summary) all[all.length - 1]?.focus();
  else if (e.key === 'ArrowRight' && summary) setOpen(summary, true);
  else if (e.key === 'ArrowLeft' && summary) setOpen(summary, false);
  else if (e.key === 'Escape' && summary) card.focus();
  else handled = false;
  if (handled) {
    e.preventDefault();
    e.stopPropagation();
  }
}

/** Installs the keys on `root` (the log) and keeps aria-expanded in step with clicks. */
export function installCardKeys(root: HTMLElement): void {
  root.addEventListener('keydown', onKey);
  root.addEventListener(
    'toggle',
    (e) => {
      const d = e.target as HTMLDetailsElement;
      d.querySelector(':scope > summary')?.setAttribute('aria-expanded', String(d.open));
    },
    true,
  );
}

/** Call before re-rendering cards; the returned function puts the focus back on the same card or toggle. */
export function keepCardFocus(root: HTMLElement): () => void {
  const active = document.activeElement as HTMLElement | null;
  const card = active && root.contains(active) ? active.closest<HTMLElement>('.card.tool') : null;
  if (!card?.dataset.id || (active !== card && !active!.matches('summary'))) return () => {};
  const id = card.dataset.id;
  const part = active === card ? undefined : (active!.parentElement as HTMLElement).dataset.part;
  return () => {
    if (document.activeElement && document.activeElement !== document.body && root.contains(document.activeElement)) return;
    const again = root.querySelector<HTMLElement>(`.card.tool[data-id="${CSS.escape(id)}"]`);
    const to = part ? again?.querySelector<HTMLElement>(`:scope > details[data-part="${CSS.escape(part)}"] > summary`) : again;
    to?.focus({ preventScroll: true });
  };
}
