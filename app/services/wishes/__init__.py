"""微心愿: publishing, claiming exactly once, proof of fulfilment, confirmation, and the jobs around them.

One module per job; callers import from here:

- ``errors``: the refusals (``WishNotFound``, ``WishAlreadyClaimed``, …);
- ``engine``: the transition engine (conditional updates on ``TRANSITIONS``) and the tail every change
  shares (end the claim, tell its holder, audit, commit);
- ``drafts``: creating, publishing and withdrawing wishes;
- ``photos``: checking, storing and, when the transaction fails, removing photos;
- ``claims``: claiming, releasing, revoking;
- ``proofs``: submitting, confirming and returning proof;
- ``jobs``: the scheduled release of overdue claims and the due reminders;
- ``reads``: lists, details, photos, history and statistics.
"""

from __future__ import annotations

from app.services import audit
from app.services.wishes.claims import (
    CHURN_WINDOW,
    ClaimLook,
    claim_as_looked,
    claim_wish,
    look_before_claim,
    release_claim,
    revoke_claim,
)
from app.services.wishes.drafts import WishDraft, create_wish, publish_wish, withdraw_wish
from app.services.wishes.errors import (
    MAX_PHOTOS,
    ClaimCoolingOff,
    ClaimLimitReached,
    ClaimRateLimited,
    InvalidWish,
    InvalidWishTransition,
    NoteRejected,
    NoteReviewRequired,
    NotClaimer,
    PhotoCountInvalid,
    PhotoForbidden,
    PhotoNotFound,
    ProofRateLimited,
    WishAlreadyClaimed,
    WishAlreadyYours,
    WishClaimClosed,
    WishNotFound,
)
from app.services.wishes.jobs import release_overdue_claims, remind_claims_due
from app.services.wishes.photos import photo_folder, photo_path
from app.services.wishes.proofs import (
    RETURN_GRACE,
    check_proof_allowed,
    confirm_wish,
    return_proof,
    store_proof,
    submit_proof,
)
from app.services.wishes.reads import (
    count_wishes_by_status,
    fulfilled_wishes_by_department,
    get_wish,
    my_claims_query,
    photo_for_viewer,
    wish_details,
    wish_history,
    wishes_query,
)

__all__ = [
    "CHURN_WINDOW",
    "MAX_PHOTOS",
    "RETURN_GRACE",
    "ClaimCoolingOff",
    "ClaimLook",
    "ClaimLimitReached",
    "ClaimRateLimited",
    "InvalidWish",
    "InvalidWishTransition",
    "NotClaimer",
    "NoteRejected",
    "NoteReviewRequired",
    "PhotoCountInvalid",
    "PhotoForbidden",
    "PhotoNotFound",
    "ProofRateLimited",
    "WishAlreadyClaimed",
    "WishAlreadyYours",
    "WishClaimClosed",
    "WishDraft",
    "WishNotFound",
    "audit",
    "check_proof_allowed",
    "claim_as_looked",
    "claim_wish",
    "confirm_wish",
    "count_wishes_by_status",
    "create_wish",
    "fulfilled_wishes_by_department",
    "get_wish",
    "look_before_claim",
    "my_claims_query",
    "photo_folder",
    "photo_for_viewer",
    "photo_path",
    "publish_wish",
    "release_claim",
    "release_overdue_claims",
    "remind_claims_due",
    "return_proof",
    "revoke_claim",
    "store_proof",
    "submit_proof",
    "wish_details",
    "wish_history",
    "wishes_query",
    "withdraw_wish",
]
