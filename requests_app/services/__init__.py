"""Write services of the requests app (see the modules for the details)."""

from .appeals import appeal_submit
from .decisions import (
    correction_apply,
    privacy_request_agent_proof_open,
    privacy_request_assign,
    privacy_request_complete,
    privacy_request_deny,
    privacy_request_extend,
    privacy_request_fee_estimate,
    privacy_request_fee_record,
    privacy_request_withdraw,
)
from .erasure import (
    RunNowReason,
    RunNowResult,
    erasure_cancel,
    erasure_run_now,
    erasure_schedule,
    scheduled_erasure_run,
)
from .intake import (
    SubmissionResult,
    SubmitResult,
    agent_proof_validate,
    privacy_request_submit,
    privacy_requests_submit,
)
from .jobs import (
    deadline_digest_send,
    export_packages_purge,
    request_log_prune,
    scheduled_erasures_run,
    unverified_requests_expire,
)
from .notice_delivery import notice_deliveries_requeue
from .notices import notice_render, notice_send, status_token, status_url
from .opt_outs import opt_out_request_from_gpc
from .packages import (
    PackageContents,
    download_url,
    export_package_build,
    export_package_download,
    export_package_staff_open,
    export_package_staff_view,
)
from .post_mortem import post_mortem_instructions_acknowledge, post_mortem_instructions_record
from .processing import privacy_request_process, relay_answer_record
from .transfers import (
    TRANSFERABLE_TYPES,
    package_transfer_confirm,
    package_transfer_confirm_valid,
    package_transfer_download,
    package_transfer_start,
)
from .transitions import ALLOWED_TRANSITIONS, InvalidTransition, privacy_request_transition
from .verification import (
    VerificationFailed,
    privacy_request_verified,
    privacy_request_verify_by_code,
    privacy_request_verify_by_token,
    privacy_request_verify_manually,
    verification_challenge_issue,
    verification_link_valid,
)

__all__ = [
    "ALLOWED_TRANSITIONS",
    "TRANSFERABLE_TYPES",
    "InvalidTransition",
    "PackageContents",
    "RunNowReason",
    "RunNowResult",
    "SubmissionResult",
    "SubmitResult",
    "VerificationFailed",
    "agent_proof_validate",
    "appeal_submit",
    "correction_apply",
    "deadline_digest_send",
    "download_url",
    "erasure_cancel",
    "erasure_run_now",
    "erasure_schedule",
    "export_package_build",
    "export_package_download",
    "export_package_staff_open",
    "export_package_staff_view",
    "export_packages_purge",
    "notice_deliveries_requeue",
    "notice_render",
    "notice_send",
    "opt_out_request_from_gpc",
    "package_transfer_confirm",
    "package_transfer_confirm_valid",
    "package_transfer_download",
    "package_transfer_start",
    "post_mortem_instructions_acknowledge",
    "post_mortem_instructions_record",
    "privacy_request_agent_proof_open",
    "privacy_request_assign",
    "privacy_request_complete",
    "privacy_request_deny",
    "privacy_request_extend",
    "privacy_request_fee_estimate",
    "privacy_request_fee_record",
    "privacy_request_process",
    "privacy_request_submit",
    "privacy_request_transition",
    "privacy_request_verified",
    "privacy_request_verify_by_code",
    "privacy_request_verify_by_token",
    "privacy_request_verify_manually",
    "privacy_request_withdraw",
    "privacy_requests_submit",
    "relay_answer_record",
    "request_log_prune",
    "scheduled_erasure_run",
    "scheduled_erasures_run",
    "status_token",
    "status_url",
    "unverified_requests_expire",
    "verification_challenge_issue",
    "verification_link_valid",
]
