"""What a firm starts from (DOMAIN.md §3-§5): the standard document and filing types, the
firm's services with their workflow templates, the requirement bundles and the rule sets.
Seeders copy these into a firm; nothing here touches the database."""

from __future__ import annotations

from typing import Any

# --------------------------------------------------------------------------------------------
# Document types (DOMAIN.md §4). Validity periods are typical values, not platform data.
# --------------------------------------------------------------------------------------------


def _doc_type(
    name: str,
    category: str,
    authority: str | None,
    description: str,
    tags: list[str],
    validity_months: int | None,
    validity_note: str,
) -> dict[str, Any]:
    return {
        "name": name,
        "category": category,
        "authority": authority,
        "description": description,
        "tags": tags,
        "metadata": {"typicalValidityMonths": validity_months, "validityNote": validity_note},
    }


DOCUMENT_TYPES: list[dict[str, Any]] = [
    _doc_type(
        "TIN certificate",
        "identification",
        "GRA",
        "Taxpayer Identification Number certificate issued by the GRA.",
        ["gra", "tax", "tin"],
        None,
        "Does not expire.",
    ),
    _doc_type(
        "VAT registration certificate",
        "identification",
        "GRA",
        "Certificate of registration for VAT (14%); required above the VAT threshold "
        "(G$15M turnover ⚠ the engine says G$10M).",
        ["gra", "tax", "vat"],
        None,
        "Does not expire.",
    ),
    _doc_type(
        "Certificate of compliance (tax clearance)",
        "compliance_certificate",
        "GRA",
        "GRA compliance certificate for tenders, work permits, land transfer, firearm licence, "
        "pension or certificate of assessment; needs a TIN and 3 years of returns.",
        ["gra", "tax", "compliance"],
        6,
        "About 6 months ⚠ verify with GRA.",
    ),
    _doc_type(
        "Trade licence",
        "permit_license",
        "GRA",
        "Annual trade licence for a place of business.",
        ["gra", "licence"],
        12,
        "Calendar year.",
    ),
    _doc_type(
        "Employer registration (R1)",
        "identification",
        "NIS",
        "NIS employer registration (form R1) and employer number.",
        ["nis", "employer"],
        None,
        "Does not expire.",
    ),
    _doc_type(
        "NIS card",
        "identification",
        "NIS",
        "A person's National Insurance card and number.",
        ["nis", "id"],
        None,
        "Does not expire.",
    ),
    _doc_type(
        "NIS compliance certificate",
        "compliance_certificate",
        "NIS",
        "Certificate that contributions are paid up to date.",
        ["nis", "compliance"],
        6,
        "About 6 months ⚠ verify with NIS.",
    ),
    _doc_type(
        "Certificate of incorporation",
        "incorporation",
        "DCRA",
        "Certificate of incorporation of a company under the Companies Act.",
        ["dcra", "company"],
        None,
        "Does not expire.",
    ),
    _doc_type(
        "Articles of incorporation",
        "incorporation",
        "DCRA",
        "Articles (and by-laws) filed on incorporation.",
        ["dcra", "company"],
        None,
        "Does not expire.",
    ),
    _doc_type(
        "Business name registration certificate",
        "incorporation",
        "DCRA",
        "Registration of a business name (sole trader or partnership); renewal fee G$2,500.",
        ["dcra", "business-name"],
        12,
        "Renewal-based ⚠ cycle not stated by the platform; 12 months assumed.",
    ),
    _doc_type(
        "Annual return",
        "regulatory_filing",
        "DCRA",
        "Company annual return as filed with the Commercial Registry.",
        ["dcra", "annual-return"],
        12,
        "One year.",
    ),
    _doc_type(
        "Beneficial ownership declaration",
        "regulatory_filing",
        "DCRA",
        "Declaration of the company's beneficial owners.",
        ["dcra", "beneficial-ownership"],
        12,
        "One year.",
    ),
    _doc_type(
        "Work permit",
        "permit_license",
        "Immigration",
        "Work permit for a foreign national employee.",
        ["immigration", "work-permit"],
        12,
        "1-3 years per grant ⚠; 12 months assumed.",
    ),
    _doc_type(
        "Business visa",
        "permit_license",
        "Immigration",
        "Business visa for a visiting foreign national.",
        ["immigration", "visa"],
        None,
        "Per grant.",
    ),
    _doc_type(
        "Residence permit",
        "permit_license",
        "Immigration",
        "Permit to reside in Guyana.",
        ["immigration", "residence"],
        None,
        "Per grant.",
    ),
    _doc_type(
        "Passport",
        "identification",
        None,
        "Passport of an individual client, director or partner.",
        ["id", "passport"],
        120,
        "10 years.",
    ),
    _doc_type(
        "National ID card",
        "identification",
        None,
        "Guyana national identification card.",
        ["id"],
        None,
        "Not stated; treat as per card.",
    ),
    _doc_type(
        "Environmental authorisation",
        "permit_license",
        "EPA",
        "EPA environmental authorisation for mining, forestry, manufacturing, petroleum or "
        "agriculture operations.",
        ["epa", "environment"],
        None,
        "Per grant.",
    ),
    _doc_type(
        "Investment incentive approval",
        "permit_license",
        "GO-Invest",
        "GO-Invest approval of investment incentives (duty and tax concessions).",
        ["go-invest", "investment"],
        None,
        "Per grant.",
    ),
    _doc_type(
        "Transport (land title)",
        "property",
        "Deeds",
        "Transport or certificate of title to land, as registered at the Deeds Registry "
        "(Desktop addition: the platform lists no Deeds documents).",
        ["deeds", "land"],
        None,
        "Does not expire.",
    ),
    _doc_type(
        "Income & expenditure statement",
        "financial",
        None,
        "Statement of income and expenditure for banks, loans or a police firearm application.",
        ["financial", "kaj"],
        12,
        "Usually accepted for about a year.",
    ),
]

DOCUMENT_TYPE_NAMES: tuple[str, ...] = tuple(t["name"] for t in DOCUMENT_TYPES)

# --------------------------------------------------------------------------------------------
# Filing types (DOMAIN.md §4). Codes are a Desktop convention; ⚠ notes kept in the description.
# --------------------------------------------------------------------------------------------


def _filing_type(
    code: str,
    name: str,
    authority: str,
    frequency: str,
    due_day: int | None,
    due_month: int | None,
    description: str,
) -> dict[str, Any]:
    return {
        "code": code,
        "name": name,
        "authority": authority,
        "frequency": frequency,
        "defaultDueDay": due_day,
        "defaultDueMonth": due_month,
        "description": description,
    }


FILING_TYPES: list[dict[str, Any]] = [
    _filing_type(
        "VAT_MONTHLY",
        "VAT return (14%)",
        "GRA",
        "monthly",
        21,
        None,
        "Monthly VAT return and payment, due the 21st of the following month. ⚠ The engine says "
        "the 15th and the tax guide the 25th; the 21st matches GRA. Late filing: G$1,000/day or "
        "10% of the tax, whichever is greater; late payment 2% per month.",
    ),
    _filing_type(
        "PAYE_MONTHLY",
        "PAYE Form 2",
        "GRA",
        "monthly",
        14,
        None,
        "Monthly PAYE remittance (Form 2), due the 14th of the following month. ⚠ The tax "
        "guide says the 25th.",
    ),
    _filing_type(
        "WHT_MONTHLY",
        "Withholding tax return",
        "GRA",
        "monthly",
        14,
        None,
        "Monthly withholding tax return, due the 14th. ⚠ The engine says the 15th, the guide "
        "the 25th.",
    ),
    _filing_type(
        "PAYE_ANNUAL",
        "PAYE Form 5 (annual employer return)",
        "GRA",
        "annual",
        30,
        4,
        "Employer's annual PAYE return, due 30 April. ⚠ Verify: GRA may require it by the end "
        "of February.",
    ),
    _filing_type(
        "CIT_ANNUAL",
        "Corporation tax return",
        "GRA",
        "annual",
        30,
        4,
        "Annual corporation tax return, due 30 April. ⚠ The engine says 31 March. Rates "
        "conflict across sources (25%, 27-30%): the desktop does not compute tax.",
    ),
    _filing_type(
        "CIT_QUARTERLY",
        "Corporation tax quarterly advance payment",
        "GRA",
        "quarterly",
        15,
        None,
        "Quarterly advance payment of corporation tax, due the 15th of the last month of each "
        "quarter. ⚠ Desktop addition, not in the platform's documents: verify with GRA.",
    ),
    _filing_type(
        "IIT_ANNUAL",
        "Individual income tax return",
        "GRA",
        "annual",
        30,
        4,
        "Annual individual income tax return, due 30 April; capital gains (20%) are filed with it.",
    ),
    _filing_type(
        "PROPERTY_TAX",
        "Property tax return",
        "GRA",
        "annual",
        30,
        4,
        "Annual property tax return. ⚠ The platform's documents give no date; 30 April assumed.",
    ),
    _filing_type(
        "NIS_MONTHLY",
        "NIS contribution schedule (CS3) + payment",
        "NIS",
        "monthly",
        15,
        None,
        "Monthly contribution schedule and payment, due the 15th (docs say '14th-15th, "
        "verify'). Rates 5.6% employee + 8.4% employer up to G$280,000/month (⚠ the engine "
        "says G$100,000/week); self-employed 12.5% (⚠ engine 14%).",
    ),
    _filing_type(
        "NIS_ANNUAL",
        "NIS annual return",
        "NIS",
        "annual",
        31,
        1,
        "Employer's annual return to NIS, due 31 January. ⚠ Unverified.",
    ),
    _filing_type(
        "DCRA_ANNUAL",
        "Company annual return",
        "DCRA",
        "annual",
        None,
        None,
        "Company annual return to the Commercial Registry. ⚠ Due each anniversary of "
        "incorporation (engine) or 42 days after the AGM (guide): no fixed day.",
    ),
    _filing_type(
        "BN_RENEWAL",
        "Business name renewal",
        "DCRA",
        "annual",
        None,
        None,
        "Renewal of a registered business name; fee G$2,500. ⚠ The renewal cycle is not stated.",
    ),
]

FILING_TYPE_CODES: tuple[str, ...] = tuple(t["code"] for t in FILING_TYPES)

# --------------------------------------------------------------------------------------------
# Services and workflow templates (DOMAIN.md §5)
#
# Each step follows the Desktop convention for `stepsDefinition`: {order, title, description,
# requiredDocTypeIds, dependsOnOrder, dueInDays, filingTypeId}. Ids depend on the tenant, so
# steps here carry helper keys that the seeder resolves: `requiredDocTypes` (document type
# names → requiredDocTypeIds) and `filingTypeCode` (→ filingTypeId).
# --------------------------------------------------------------------------------------------


def _step(
    order: int,
    title: str,
    description: str,
    due_in_days: int,
    *,
    docs: tuple[str, ...] = (),
    depends: int | None = -1,
    filing: str | None = None,
) -> dict[str, Any]:
    """A step depending on the previous one by default (`depends=None` for none)."""
    step: dict[str, Any] = {
        "order": order,
        "title": title,
        "description": description,
        "requiredDocTypeIds": [],
        "requiredDocTypes": list(docs),
        "dependsOnOrder": (order - 1 if order > 1 else None) if depends == -1 else depends,
        "dueInDays": due_in_days,
    }
    if filing:
        step["filingTypeCode"] = filing
    return step


def _service(
    name: str,
    category: str,
    description: str,
    base_price: float,
    estimated_days: int,
    steps: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "name": name,
        "category": category,
        "description": description,
        "basePrice": base_price,
        "estimatedDays": estimated_days,
        "template": {
            "name": f"{name} - standard workflow",
            "description": f"Standard steps for {name[0].lower() + name[1:]}.",
            "steps": steps,
        },
    }


SERVICES: list[dict[str, Any]] = [
    # --- KAJ Financial Services: tax -------------------------------------------------------
    _service(
        "Individual income tax return",
        "Tax",
        "Preparation and filing of a person's annual income tax return with the GRA.",
        15000,
        10,
        [
            _step(
                1,
                "Collect records",
                "Pay slips, income statements, receipts.",
                5,
                docs=("TIN certificate", "Passport"),
            ),
            _step(
                2,
                "Prepare return",
                "Compute income and deductions; draft the return.",
                8,
                filing="IIT_ANNUAL",
            ),
            _step(3, "Client review and signature", "Client approves the draft return.", 10),
            _step(
                4,
                "File with GRA",
                "Submit the return and record the GRA reference.",
                12,
                filing="IIT_ANNUAL",
            ),
        ],
    ),
    _service(
        "Corporation tax return",
        "Tax",
        "Annual corporation tax return from the company's financial statements.",
        85000,
        21,
        [
            _step(
                1,
                "Obtain financial statements",
                "Trial balance or audited accounts.",
                7,
                docs=("TIN certificate", "Certificate of incorporation"),
            ),
            _step(
                2,
                "Tax computation",
                "Adjust accounting profit to taxable profit.",
                14,
                filing="CIT_ANNUAL",
            ),
            _step(3, "Director approval", "A director reviews and signs the return.", 18),
            _step(
                4, "File with GRA", "Submit the return and payment advice.", 21, filing="CIT_ANNUAL"
            ),
        ],
    ),
    _service(
        "VAT return filing",
        "Tax",
        "Monthly VAT return: sales and purchase ledgers reconciled and filed by the 21st.",
        20000,
        7,
        [
            _step(
                1,
                "Receive sales and purchase records",
                "Invoices and ledgers for the month.",
                3,
                docs=("VAT registration certificate",),
            ),
            _step(
                2, "Prepare VAT return", "Reconcile output and input tax.", 5, filing="VAT_MONTHLY"
            ),
            _step(
                3,
                "File and pay",
                "Submit the return; client pays any VAT due.",
                7,
                filing="VAT_MONTHLY",
            ),
        ],
    ),
    _service(
        "PAYE returns",
        "Tax",
        "Monthly PAYE (Form 2) remittances and the annual employer return (Form 5).",
        18000,
        7,
        [
            _step(
                1,
                "Collect payroll",
                "Payroll register for the period.",
                3,
                docs=("TIN certificate",),
            ),
            _step(
                2,
                "Prepare PAYE return",
                "Compute PAYE withheld per employee.",
                5,
                filing="PAYE_MONTHLY",
            ),
            _step(
                3, "File with GRA", "Submit Form 2 and the remittance.", 7, filing="PAYE_MONTHLY"
            ),
        ],
    ),
    _service(
        "GRA compliance certificate",
        "Tax",
        "Compliance certificate for tenders, work permits, land transfer, firearm licence, "
        "pension or a certificate of assessment.",
        12000,
        10,
        [
            _step(
                1,
                "Check filing history",
                "Three years of returns must be on file.",
                3,
                docs=("TIN certificate",),
            ),
            _step(2, "Bring returns up to date", "File any missing returns first.", 7),
            _step(3, "Apply to GRA", "Submit the application with its purpose.", 8),
            _step(4, "Collect certificate", "Collect and scan the certificate.", 10),
        ],
    ),
    # --- NIS --------------------------------------------------------------------------------
    _service(
        "NIS employer registration",
        "NIS",
        "Registration of a new employer with the National Insurance Scheme (form R1).",
        15000,
        14,
        [
            _step(
                1,
                "Collect registration documents",
                "Business registration and IDs.",
                4,
                docs=("Certificate of incorporation", "TIN certificate"),
            ),
            _step(2, "Complete form R1", "Employer registration form.", 6),
            _step(3, "Submit to NIS", "Lodge the form at the NIS office.", 8),
            _step(4, "Receive employer number", "Record the employer number and card.", 14),
        ],
    ),
    _service(
        "NIS contribution schedules",
        "NIS",
        "Monthly contribution schedules (CS3) and payments, due by the 15th.",
        10000,
        5,
        [
            _step(
                1,
                "Collect payroll",
                "Insurable earnings per employee.",
                2,
                docs=("Employer registration (R1)",),
            ),
            _step(
                2,
                "Prepare CS3 schedule",
                "Employee 5.6%, employer 8.4%, to the ceiling.",
                4,
                filing="NIS_MONTHLY",
            ),
            _step(3, "Submit and pay", "Lodge the schedule with payment.", 5, filing="NIS_MONTHLY"),
        ],
    ),
    _service(
        "NIS compliance certificate",
        "NIS",
        "NIS compliance certificate, e.g. for tenders or contracts.",
        10000,
        10,
        [
            _step(
                1,
                "Reconcile contributions",
                "Check that all schedules are filed and paid.",
                4,
                docs=("Employer registration (R1)",),
            ),
            _step(2, "Apply to NIS", "Submit the application.", 6),
            _step(3, "Collect certificate", "Collect and scan the certificate.", 10),
        ],
    ),
    # --- GCMC: registration ------------------------------------------------------------------
    _service(
        "Company incorporation",
        "Registration",
        "Incorporation of a company: name reservation, articles, registration at DCRA.",
        120000,
        21,
        [
            _step(
                1,
                "Name search and reservation",
                "Reserve the company name (60 days ⚠ guide says 30).",
                3,
                docs=("Passport",),
            ),
            _step(2, "Draft articles and by-laws", "Prepare the incorporation documents.", 7),
            _step(3, "Directors sign", "Collect signatures and IDs of directors.", 10),
            _step(4, "File with DCRA", "Submit articles and fees.", 14),
            _step(5, "Receive certificate", "Collect the certificate of incorporation.", 21),
            _step(
                6,
                "Register for TIN and NIS",
                "Register the new company with GRA and NIS.",
                21,
                depends=5,
            ),
        ],
    ),
    _service(
        "Business name registration",
        "Registration",
        "Registration of a business name for a sole trader or partnership.",
        25000,
        7,
        [
            _step(
                1, "Name search", "Check that the name is available.", 2, docs=("National ID card",)
            ),
            _step(2, "Prepare registration", "Complete the statutory form.", 3),
            _step(3, "File with DCRA", "Submit the form and fee.", 5),
            _step(4, "Collect certificate", "Collect and scan the certificate.", 7),
        ],
    ),
    # --- GCMC: immigration -------------------------------------------------------------------
    _service(
        "Work permit application",
        "Immigration",
        "Work permit for a foreign national employee, with the supporting compliance certificates.",
        90000,
        60,
        [
            _step(
                1,
                "Collect applicant documents",
                "Passport, qualifications, CV.",
                7,
                docs=("Passport",),
            ),
            _step(
                2,
                "Employer compliance certificates",
                "GRA and NIS compliance certificates.",
                14,
                docs=("Certificate of compliance (tax clearance)", "NIS compliance certificate"),
                depends=None,
            ),
            _step(3, "Prepare application", "Complete the Ministry's forms.", 20, depends=1),
            _step(4, "Submit to Ministry of Home Affairs", "Lodge the application.", 25, depends=3),
            _step(5, "Follow up and collect permit", "Track the application; collect permit.", 60),
        ],
    ),
    _service(
        "Business visa",
        "Immigration",
        "Business visa for a visiting investor or consultant.",
        45000,
        21,
        [
            _step(1, "Collect documents", "Passport and invitation letter.", 5, docs=("Passport",)),
            _step(2, "Submit application", "Lodge the visa application.", 10),
            _step(3, "Collect visa", "Collect the visa and scan it.", 21),
        ],
    ),
    # --- GCMC: paralegal -------------------------------------------------------------------
    _service(
        "Affidavit preparation",
        "Paralegal",
        "Drafting of an affidavit and arranging its swearing before a commissioner.",
        8000,
        2,
        [
            _step(
                1,
                "Take instructions",
                "Record the facts to be sworn.",
                1,
                docs=("National ID card",),
            ),
            _step(2, "Draft affidavit", "Prepare the affidavit for review.", 1),
            _step(3, "Swear before commissioner", "Client swears the affidavit.", 2),
        ],
    ),
    _service(
        "Agreement of sale and purchase",
        "Paralegal",
        "Agreement of sale and purchase of land or a business.",
        35000,
        10,
        [
            _step(
                1,
                "Take instructions",
                "Parties, property, price and terms.",
                2,
                docs=("Transport (land title)", "National ID card"),
            ),
            _step(2, "Draft agreement", "Prepare the draft for both parties.", 5),
            _step(3, "Review with parties", "Settle comments from both sides.", 8),
            _step(4, "Execution", "Parties sign before witnesses.", 10),
        ],
    ),
    _service(
        "Will preparation",
        "Paralegal",
        "Drafting and execution of a will.",
        25000,
        7,
        [
            _step(
                1,
                "Take instructions",
                "Assets, beneficiaries and executors.",
                2,
                docs=("National ID card",),
            ),
            _step(2, "Draft will", "Prepare the draft for the testator.", 4),
            _step(3, "Execution", "Sign before two witnesses.", 7),
        ],
    ),
    # --- training, advisory, audit ----------------------------------------------------------
    _service(
        "HR and customer relations training",
        "Training",
        "In-house training in human resource management and customer relations (per group).",
        60000,
        14,
        [
            _step(1, "Training needs assessment", "Agree topics and participants.", 3),
            _step(2, "Prepare materials", "Course materials and exercises.", 10),
            _step(3, "Deliver training", "Run the sessions.", 14),
            _step(4, "Evaluation and certificates", "Collect evaluations, issue certificates.", 14),
        ],
    ),
    _service(
        "Income and expenditure statement",
        "Advisory",
        "Income and expenditure statement for a bank, loan or police firearm application.",
        20000,
        5,
        [
            _step(
                1,
                "Collect records",
                "Bank statements, receipts and pay slips.",
                2,
                docs=("National ID card",),
            ),
            _step(2, "Prepare statement", "Draft the statement.", 4),
            _step(3, "Certify and issue", "Sign as licensed accountant and issue.", 5),
        ],
    ),
    _service(
        "Business proposal and cash-flow projection",
        "Advisory",
        "Business proposal with cash-flow projections for a bank loan or investor.",
        75000,
        14,
        [
            _step(1, "Discovery meeting", "Understand the business and the financing need.", 2),
            _step(2, "Financial projections", "Three-year cash-flow projection.", 8),
            _step(3, "Draft proposal", "Write the proposal.", 12),
            _step(4, "Final review", "Review with the client and deliver.", 14),
        ],
    ),
    _service(
        "Small business consultancy",
        "Advisory",
        "Consultancy for small businesses: structure, registration, records and compliance.",
        30000,
        7,
        [
            _step(1, "Initial consultation", "Review the business and its obligations.", 2),
            _step(2, "Compliance checklist", "GRA, NIS and DCRA obligations and deadlines.", 5),
            _step(3, "Recommendations", "Written recommendations and next steps.", 7),
        ],
    ),
    _service(
        "Audit of NGO or co-operative",
        "Audit",
        "Annual audit of the accounts of an NGO, co-operative society or credit union.",
        250000,
        45,
        [
            _step(1, "Engagement letter", "Agree scope and fees.", 5),
            _step(
                2,
                "Fieldwork",
                "Test records and balances.",
                25,
                docs=("Certificate of incorporation",),
            ),
            _step(3, "Draft report", "Draft audit report and management letter.", 35),
            _step(4, "Board meeting", "Present the findings to the board.", 40),
            _step(5, "Final report", "Sign and issue the audited accounts.", 45),
        ],
    ),
]

SERVICE_NAMES: tuple[str, ...] = tuple(s["name"] for s in SERVICES)

# --------------------------------------------------------------------------------------------
# Compliance: requirement bundles and the default rule set (DOMAIN.md §3 Desktop convention)
# Items name a document type ("document") or filing type code ("filing").
# --------------------------------------------------------------------------------------------

REQUIREMENT_BUNDLES: list[dict[str, Any]] = [
    {
        "name": "GRA tax compliance",
        "authority": "GRA",
        "category": "tax",
        "description": "What a GRA-registered business keeps on file and files.",
        "items": [
            {"document": "TIN certificate", "required": True},
            {"document": "Certificate of compliance (tax clearance)", "required": True},
            {"document": "VAT registration certificate", "required": False},
            {"filing": "VAT_MONTHLY", "required": False},
            {"filing": "PAYE_MONTHLY", "required": True},
        ],
    },
    {
        "name": "NIS employer compliance",
        "authority": "NIS",
        "category": "registration",
        "description": "Employer registration and monthly contributions.",
        "items": [
            {"document": "Employer registration (R1)", "required": True},
            {"document": "NIS compliance certificate", "required": True},
            {"filing": "NIS_MONTHLY", "required": True},
        ],
    },
    {
        "name": "DCRA company registration",
        "authority": "DCRA",
        "category": "registration",
        "description": "A company's registration documents and annual return.",
        "items": [
            {"document": "Certificate of incorporation", "required": True},
            {"document": "Articles of incorporation", "required": True},
            {"document": "Beneficial ownership declaration", "required": True},
            {"filing": "DCRA_ANNUAL", "required": True},
        ],
    },
    {
        "name": "Deeds land holdings",
        "authority": "Deeds",
        "category": "property",
        "description": "Title to land held by the client.",
        "items": [
            {"document": "Transport (land title)", "required": True},
            {"filing": "PROPERTY_TAX", "required": False},
        ],
    },
    {
        "name": "Immigration work permit",
        "authority": "Immigration",
        "category": "permit",
        "description": "Foreign national employees.",
        "items": [
            {"document": "Passport", "required": True},
            {"document": "Work permit", "required": True},
            {"document": "Residence permit", "required": False},
        ],
    },
    {
        "name": "GO-Invest incentives",
        "authority": "GO-Invest",
        "category": "investment",
        "description": "Investment incentive approval and the company behind it.",
        "items": [
            {"document": "Investment incentive approval", "required": True},
            {"document": "Certificate of incorporation", "required": True},
        ],
    },
    {
        "name": "EPA environmental permit",
        "authority": "EPA",
        "category": "permit",
        "description": "Environmental authorisation for mining, forestry, manufacturing, "
        "petroleum or agriculture.",
        "items": [
            {"document": "Environmental authorisation", "required": True},
        ],
    },
]

# appliesTo {} = every client (an absent key means all).
DEFAULT_RULE_SET: dict[str, Any] = {
    "name": "Default compliance rules",
    "appliesTo": {},
    "active": True,
    "rules": [
        {
            "ruleType": "document_required",
            "document": "TIN certificate",
            "condition": None,
            "weight": 10.0,
            "description": "Every client needs a valid TIN certificate on file.",
        },
        {
            "ruleType": "document_expiring",
            "condition": {"withinDays": 30},
            "weight": 5.0,
            "description": "A document expires within 30 days.",
        },
        {
            "ruleType": "filing_overdue",
            "condition": None,
            "weight": 15.0,
            "description": "A draft or prepared filing is past its period end.",
        },
    ],
}

COMPANY_RULE_SET: dict[str, Any] = {
    "name": "Company registration rules",
    "appliesTo": {"clientTypes": ["company"]},
    "active": True,
    "rules": [
        {
            "ruleType": "document_required",
            "document": "Certificate of incorporation",
            "condition": None,
            "weight": 10.0,
            "description": "Companies keep their certificate of incorporation on file.",
        },
        {
            "ruleType": "filing_required",
            "filing": "DCRA_ANNUAL",
            "condition": None,
            "weight": 10.0,
            "description": "Companies file an annual return with DCRA each year.",
        },
    ],
}

RULE_SETS: list[dict[str, Any]] = [DEFAULT_RULE_SET, COMPANY_RULE_SET]
