"""Audit: what was suggested next to what was sent, for team leads."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from assist_ui import auth, deps
from assist_ui.render import inert
from desk.metrics import lead_metrics


def main() -> None:
    auth.require("lead")
    st.header("Audit")
    store = deps.get_store()
    events = store.audit_events(limit=1000)
    if not events:
        st.info("No replies have been sent yet. Sent replies appear here with the suggestion they started from.")
        return
    metrics = lead_metrics(events)
    cols = st.columns(4)
    cols[0].metric("Replies sent", metrics["count"])
    cols[1].metric("Sent unedited", f"{(metrics['unedited_share'] or 0):.0%}")
    cols[2].metric("Mean edit distance", f"{(metrics['mean_edit_distance'] or 0):.2f}")
    cols[3].metric("Mean similarity", f"{(metrics['mean_similarity'] or 0):.2f}")
    delivery = store.delivery_statuses()
    table = pd.DataFrame([{
        "id": e.id, "sent at": e.sent_at.strftime("%Y-%m-%d %H:%M"), "ticket": e.ticket_id, "agent": e.agent,
        "engine": e.engine, "tone": e.tone, "edit distance": round(e.edit_distance, 3),
        "similarity": round(e.similarity, 3), "flags": ", ".join(e.flags), "rating": e.rating,
        "delivery": delivery.get(e.id, "recorded"),
    } for e in events])
    st.dataframe(table, hide_index=True, width="stretch")
    choice = st.selectbox("Compare suggestion and reply", [e.id for e in events],
                          format_func=lambda i: next(f"#{e.id} · {e.ticket_id} · {e.agent}" for e in events if e.id == i))
    event = next(e for e in events if e.id == choice)
    left, right = st.columns(2)
    with left:
        st.markdown(f"**Suggested** ({event.engine}, {inert(event.model or '—')}, {inert(event.tone or 'no draft used')})")
        st.markdown(inert(event.suggested) if event.suggested else "_No suggestion was used._")
    with right:
        st.markdown(f"**Sent** by {inert(event.agent)}")
        st.markdown(inert(event.sent))
    st.caption(inert(f"Citations: {', '.join(event.citations) or '—'} · prompts: "
                     + ", ".join(f"{k}@{v}" for k, v in event.prompt_versions.items())
                     + f" · delivery: {delivery.get(event.id, 'recorded')}"))


main()
