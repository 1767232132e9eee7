"""合同评审与合同修改 (contract_review, contract_amendment): records, operators, labels, demo seed."""
from pathlib import Path

from engine.extensions import Document, RecordField

from . import amendment, records  # noqa: F401 - their operators

PROCESSES = ("contract_review", "contract_amendment")
RECORD_FIELDS = (
    RecordField("contract_no", {"zh_CN": "合同编号", "en": "Contract number"}),
    RecordField("contract_rec.number", {"zh_CN": "合同编号", "en": "Contract number"}),
    RecordField("amendment_no", {"zh_CN": "变更编号", "en": "Amendment number"}),
    RecordField("order_no", {"zh_CN": "订单编号", "en": "Order number"}),
    RecordField("registration.customer_admission", {"zh_CN": "客户准入", "en": "Customer admission"}),
)
TITLE_KEYS = ("customer", "customer_name", "contract_no")
DOCUMENTS = (
    Document("contract_review_sheet", "contract_review", {"zh_CN": "合同评审表", "en": "Contract review sheet"},
             Path(__file__).resolve().parent / "documents" / "review.html",
             lambda data: bool((data.get("registration") or {}).get("ok")),
             {"zh_CN": "合同登记编号后才有评审表。", "en": "The review sheet exists once the contract is registered."}),
)
