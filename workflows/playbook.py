"""What to do about each challenge or warning sign: the coordinator's playbook, as data.

The approaches follow the published guides to common challenges in maintaining a
mentoring relationship (the documentation's practice page names them); programs may
reword any of them.
"""

from __future__ import annotations

from collections.abc import Mapping

APPROACHES: dict[str, str] = {
    "too_busy_to_schedule": (
        "Call the mentor or mentee to find out whether there are underlying reasons for the "
        "scheduling issues. If it is a question of commitment, be firm in explaining the "
        "program's expectations. If it is simply hard to find time, suggest a scheduling tool "
        "and a recurring slot, the same day and time every week or month."
    ),
    "no_chemistry": (
        "Two people may not click. Revisit what the pair agreed at the start about chemistry "
        "problems, so there are no hard feelings. If they decide to end the relationship, "
        "re-match the mentee with another mentor."
    ),
    "match_in_doubt": (
        "Call the one who doubts the match, soon, and warmly: find out whether it is a good or "
        "a bad match, or only a slow start (a mentee who came unprepared, a mentor who talked "
        "too much, a first meeting that felt like an information meeting). Agree what to "
        "prepare for the next meeting, and something concrete to talk about. If it is a bad "
        "match, revisit what the pair agreed about chemistry problems and consider a re-match."
    ),
    "mentor_not_listening": (
        "Call the mentor or mentee to find out what is going on and its impact. Tactfully share "
        "the impact with the mentor, focusing on the behaviour, not the personality. Use a "
        "coaching approach: ask what they could do differently. Underline how listening helps "
        "meet the goals; offer tools for listening skills and check in again. If nothing "
        "improves after about a month, consider a re-match."
    ),
    "missed_meetings": (
        "Call the mentor or mentee to find out what is going on, and explain the expectations "
        "of their commitment. For event-based mentoring, make sure a coordinator is present at "
        "the event."
    ),
    "mentee_sees_no_progress": (
        "Call the mentee and the mentor to understand both perspectives. If it is a confidence "
        "issue, encourage the mentor to build the mentee's confidence and celebrate small "
        "gains. Revisit the purpose road map and the mentoring agreement with both, and decide "
        "whether they need changing."
    ),
    "mentor_sees_no_progress": (
        "Call the mentor to understand the situation, and call the mentee to check in. If they "
        "see the mentee's progress differently, coach the mentor to listen to the mentee's "
        "needs rather than project their own objectives; tread carefully if ego drives it."
    ),
    "mentee_unprepared": (
        "Give the mentee constructive feedback: describe the behaviour and its impact, and the "
        "possible consequences. If the response is positive, ask what the challenge is and what "
        "help they need; if negative, give them space before revisiting. If they keep coming "
        "unprepared, act on the program's terms. Suggest they bring something concrete to talk "
        "about to each meeting."
    ),
    "mentee_ashamed_to_ask": (
        "Ask open questions: what is the question, what makes it feel stupid, how important is "
        "the answer? Find the real reason (self-esteem, the mentor's seniority, trust, the stage "
        "of the relationship). With the mentee's permission, address it jointly with the "
        "mentor. Re-match if the mentee stays closed, especially if the reason is the mentor."
    ),
    "mentor_pushing_risks": (
        "Explain to the mentor that lasting gain needs the mentee's full and willing "
        "engagement; appreciate their enthusiasm, but forcing it may do harm. Coach them toward "
        "steps that make amends without hurting the mentee, and check in after the next "
        "meeting. If it persists, re-match the mentee."
    ),
    "harassment": (
        "Confidentiality is paramount. Call the person affected and listen; find out through "
        "skilful questioning whether there is merit, discreetly. Re-match if there is no hope "
        "of resolving it, even if you think the complaint rests on a misconception. Ask a "
        "trusted, experienced person for help if it overwhelms you."
    ),
    "inappropriate_relationship": (
        "Investigate and gather facts discreetly before raising it; do not confront without "
        "clear evidence. With clear evidence, meet both, present the facts and listen; then end "
        "their participation or re-match. Keep every step confidential."
    ),
    "mentee_feels_unsafe": (
        "Treat it as a safety report: speak with the mentee the same day, in confidence, and "
        "follow the program's safeguarding procedure. Pause meetings if needed; withdraw the "
        "pair for safety when the concern is serious."
    ),
    "safety_concern": (
        "Treat it as a safety report: read it (access is logged), speak with the person who "
        "raised it the same day, in confidence, and follow the program's safeguarding "
        "procedure."
    ),
    "ambivalence": (
        "Be boldly upfront: remind the mentee of their goal and what it takes to reach it. "
        "After working through the obstacles, if the ambivalence persists, let the "
        "mentee go until they are ready to commit."
    ),
    "dependence": (
        "Mentors are not therapists. Help the mentor step back and set clearer boundaries; "
        "where a need is beyond a mentor's scope, refer the mentee to a professional who can "
        "help."
    ),
    "mentor_overstretched": (
        "Call the mentor: mentors are often asked to take on more than they can handle, and "
        "a relationship suffers from burnout or frustration. Give them permission not to take "
        "on everything at once, and help them set clear boundaries with the mentee: when they "
        "can be reached, which topics are beyond their scope, how soon to expect feedback. "
        "Check in again after their next meeting."
    ),
    "unrealistic_expectations": (
        "Help the pair reset expectations: talk openly about goals and the time real progress "
        "takes, share examples of earlier mentees, and celebrate small gains."
    ),
    "no_progress_on_actions": (
        "Ask both about the actions agreed and what stands in the way. Encourage concrete "
        "plans for the next weeks, short check-ins between meetings, and clear expectations "
        "about work between sessions."
    ),
    "distracted_or_cut_short": (
        "Call both separately to hear how the meetings feel. Agree a time and place without "
        "distractions, and a length both can keep."
    ),
    "one_side_not_contributing": (
        "Ask the quieter side how they find the meetings; suggest the mentor ask for feedback "
        '("How are you finding the mentoring relationship so far?") and that each '
        "brings something to discuss."
    ),
    "last_minute_rescheduling": (
        "Call the mentor or mentee to understand why meetings move; agree a recurring slot and "
        "the commitment the program expects."
    ),
    "meeting_requirement_missed": (
        "The pair is below the program's meeting requirement. Call "
        "both to learn why and agree how they will meet as promised; record the contact."
    ),
    "rating_drop": (
        "A sharp drop in how they rate the relationship: check in with that person soon, in "
        "confidence, before it becomes a bigger problem."
    ),
    "rating_divergence": (
        "Mentor and mentee rate the relationship very differently: call each separately to "
        "hear both sides, individually when there are challenges."
    ),
    "closure_risk_high": (
        "The program's own history says pairs like this one often end early. Read the factors "
        "that raised the estimate, call both sides to hear how the match is going, and agree "
        "one concrete step (a recurring slot, a goal for the next meeting). If the match has "
        "run its course, plan a celebrated closure with them rather than let it fade away."
    ),
    "checkin_overdue": "Get in touch with the pair and record the check-in.",
    "coordinator_flag": "Follow up on your own note: decide the approach and a follow-up date.",
}


# The approaches that send the coordinator back to what the pair agreed at the start (the
# mentoring agreement: its goals, its ground rules, its plan for chemistry problems): the
# pair page links each of them to the pair's agreement.
REVISITS_AGREEMENT: frozenset[str] = frozenset(
    {
        "no_chemistry",
        "match_in_doubt",
        "mentee_sees_no_progress",
        "unrealistic_expectations",
        "no_progress_on_actions",
    }
)


def revisits_agreement(code: str) -> bool:
    """Whether the playbook's approach to `code` is to revisit the mentoring agreement."""
    return code in REVISITS_AGREEMENT


def approach_for(code: str, overrides: Mapping[str, str] | None = None) -> str | None:
    """The recommended approach for a signal, in the program's words where it has its own."""
    if overrides and overrides.get(code):
        return overrides[code]
    return APPROACHES.get(code)
