"""Sign-in records, by job: ``scanning`` (a scanned code: the one entry point ``sign_in``),
``corrections`` (an admin's manual records, undo, hours) and ``reading`` (attendance, my records,
volunteer hours). ``records`` holds what they share: the refusals, the answer and the hours rule.

Exactly one record per person, event and direction is the database's job: a unique constraint on
(event, staff, direction) and another on (staff, nonce). Two scans racing each other both try to
write; one wins, the other reads the winner's record and answers "already signed in".
"""

from app.services.checkins.corrections import (
    adjust_hours,
    find_checkin,
    get_checkin,
    manual_check_in,
    undo_checkin,
)
from app.services.checkins.reading import (
    Attendance,
    AttendanceRow,
    VolunteerHours,
    attendance,
    my_checkins_statement,
    volunteer_hours,
)
from app.services.checkins.records import (
    CheckinClosed,
    CheckinNotFound,
    CheckinNotOpen,
    CheckinResult,
    CheckoutExists,
    InvalidHours,
    InvalidManualTime,
    LiveCodeRequired,
    LocationRequired,
    NonceReused,
    NotACheckout,
    NotCheckedIn,
    OutsideGeofence,
    RegistrationRequired,
    credited_minutes,
    present_minutes,
)
from app.services.checkins.scanning import (
    EventSnapshots,
    Scan,
    describe,
    event_snapshots,
    haversine_m,
    sign_in,
    sign_in_member,
)

__all__ = [
    "Attendance",
    "AttendanceRow",
    "CheckinClosed",
    "CheckinNotFound",
    "CheckinNotOpen",
    "CheckinResult",
    "CheckoutExists",
    "EventSnapshots",
    "InvalidHours",
    "InvalidManualTime",
    "LiveCodeRequired",
    "LocationRequired",
    "NonceReused",
    "NotACheckout",
    "NotCheckedIn",
    "OutsideGeofence",
    "RegistrationRequired",
    "Scan",
    "VolunteerHours",
    "adjust_hours",
    "attendance",
    "credited_minutes",
    "describe",
    "event_snapshots",
    "find_checkin",
    "get_checkin",
    "haversine_m",
    "manual_check_in",
    "my_checkins_statement",
    "present_minutes",
    "sign_in",
    "sign_in_member",
    "undo_checkin",
    "volunteer_hours",
]
