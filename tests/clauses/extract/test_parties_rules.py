"""Party names from the opening of a contract: the phrasings fields.parties reads, one row each."""
from __future__ import annotations

import pytest

from clm.clauses.extract import parties as P

CASES = [
    # no defined terms: the full stop of "Inc." does not end the sentence that names the parties
    ("This Reseller Agreement is made as of May 4, 2026 by and between Northwind Traders Inc. and Contoso Retail "
     "LLC.\n\n1. Term. This Agreement shall commence on June 1, 2026.",
     ["Northwind Traders Inc.", "Contoso Retail LLC"]),
    ("This Agreement is made by and between Heron Labs, Inc. and Moray Co. and is effective today.",
     ["Heron Labs, Inc.", "Moray Co."]),
    # a last party named without a defined term of its own, its address after it
    (('This Agreement is effective 7/1/98 ("Effective Date") between Northwind Audio, Inc. ("Northwind"), and\n\n'
     "Kestrel Trading Corporation 780 Harbor Expressway Suite 406 San Jose, CA 95131\n\n"
     "Northwind and Distributor intend to establish a distributorship."),
     ["Northwind Audio, Inc.", "Kestrel Trading Corporation"]),
    # a party between a defined one and a descriptor: "located at ..., and X located at ..."
    (('This Promotion Agreement dated March 12, 1999, by and between Lark Call, Inc. (herein "Lark") located at '
     "15 Queen Street East, Cambridge and PageFlow Corporation located at 100 Oak Blvd. Suite 297, shall set forth "
     "the terms."),
     ["Lark Call, Inc.", "PageFlow Corporation"]),
    # a title page that lists the parties one per line, and no preamble naming them
    (("EXHIBIT 10.11\n\nCOLLABORATION AGREEMENT\n\nBY AND BETWEEN\n\nORION PHARMA INC.\n\nAND\n\n"
     "SILVERGATE BIO, INC.\n\nJune 1, 2005\n\nTABLE OF CONTENTS\n\nARTICLE 1 DEFINITIONS"),
     ["ORION PHARMA INC.", "SILVERGATE BIO, INC."]),
    # street addresses are not part of the name
    (('THIS AGREEMENT is made by and between Bayview Holdings, Inc of 512 Shore Drive, Suite 201 Miami ("Bayview") '
     'and Tarn Speakers Limited of 90 High Street, Burnham ("Tarn").'),
     ["Bayview Holdings, Inc", "Tarn Speakers Limited"]),
    # numbered parties, an individual with a redacted address
    (("THIS AGREEMENT is entered into between the parties on 1 April, 2020.\n\nPARTIES (1) Harbour Biopharma UK "
     "Limited is a company registered in England whose registered office is at 12 New Lane, London (the "
     '"Employer"); and (2) Brett Hollis of [address removed] (the "Executive").\n\nAGREED TERMS'),
     ["Harbour Biopharma UK Limited", "Brett Hollis"]),
    # an exhibit heading run into the first name
    ('Exhibit 10.7 CONSULTING AGREEMENT Corvid Biotech, Inc. ("Corvid") and IREX B.V. ("Consultant") agree.',
     ["Corvid Biotech, Inc.", "IREX B.V."]),
    # the same party spelt twice counts once
    (('This Agreement is between Pelican Systems, Inc. ("Pelican") and Moray Co. ("Moray"). '
     'PELICAN SYSTEMS INC ("Pelican") shall supply Moray.'),
     ["Pelican Systems, Inc.", "Moray Co."]),
    # a filing legend on the same line as the preamble stops at "between"; "INCORPORATED" is a suffix
    (("THIS DOCUMENT HAS BEEN FILED SEPARATELY WITH THE SECURITIES AND EXCHANGE COMMISSION     ORRERY INCORPORATED"
     '     This Agreement is entered into by and between ORRERY INCORPORATED, a Delaware corporation ("Orrery"), and '
     'SIEGFRIED AKTIENGESELLSCHAFT, a German corporation ("Siegfried").\n\nRECITALS'),
     ["ORRERY INCORPORATED", "SIEGFRIED AKTIENGESELLSCHAFT"]),
    # a letter agreement: the parties follow the salutation; a party listed after the previous one's descriptor
    (("AGENCY AGREEMENT\n\nMay 1, 2014\n\nFinch & Rowe, Inc.\n10 Main Street\nChicago, Illinois 60606\n\n"
     'Ladies and Gentlemen:\n\nOak Bancorp, Inc. (the "Holding Company"), a Maryland corporation, Oak Park Bancorp, '
     'MHC, a chartered mutual holding company (the "MHC"), and Oak Bank, a stock savings bank (the "Bank"), hereby '
     'confirm their agreement with Finch & Rowe, Inc. (the "Agent") as follows:'),
     ["Oak Bancorp, Inc.", "Oak Park Bancorp, MHC", "Oak Bank", "Finch & Rowe, Inc."]),
    (('July 20, 2018\n\nGianni Rossi\n\nDear Gianni:\n\nKestrel Bio, Inc, a Delaware corporation (the "Company"), '
     'is pleased to offer this Consulting Agreement (this "Agreement") to retain Gianni Rossi ("Consultant") as follows:'),
     ["Kestrel Bio, Inc", "Gianni Rossi"]),
    # a collective term closes a list of parties
    (('This Agreement is entered into by and between Lumen Beauty, Inc., a Delaware corporation (the "Company"), and '
     'Heron Equity Management, LLC ("Heron"), Heron Partners L.P., Heron Focus Fund L.P., Birch Research & '
     'Management, LLC and Mario Bellini (collectively, the "Heron Parties").'),
     ["Lumen Beauty, Inc.", "Heron Equity Management, LLC", "Heron Partners L.P.", "Heron Focus Fund L.P.",
      "Birch Research & Management, LLC", "Mario Bellini"]),
    (('THIS AGREEMENT is made BETWEEN: SpendMore.com, inc of 512 Bay Drive, Fort Lauderdale FL 33304, and JVX, LLC of '
     '40 Creek Parkway Suite H Suwanee, GA 30024 (individually the "Member" and collectively the "Members").'),
     ["SpendMore.com, inc", "JVX, LLC"]),
    # two parties before one term: the first has a descriptor, the second a suffix
    (("This Agreement is between Ibex Inc., a public corporation, with a location at 600 Madison Ave, New York and "
     'Beijing Lotus Ltd. of Beijing, China ("Lotus"), a Chinese corporation.'),
     ["Ibex Inc.", "Beijing Lotus Ltd."]),
    # a capacity is no party: "as Administrator for X", "for the personal services of Y"
    (('This Agreement is entered into by and between FOXGLOVE LICENSING, a division of Foxglove Group, Inc. ("Foxglove"), '
     'as Administrator for Foxglove Film Corporation ("Trademark Licensor"), and Sorrel, Inc. ("Licensee").'),
     ["FOXGLOVE LICENSING", "Sorrel, Inc."]),
    (('This Agreement is made by and among ABC-Star, LLC, a Delaware limited liability company ("ABC") for the personal '
     'services of Sam Oneal, ("CELEBRITY"), and Pizza Pals, Inc., a Kentucky corporation ("PP").'),
     ["ABC-Star, LLC", "Pizza Pals, Inc."]),
    # lower-case names: a descriptor or a corporate suffix says they are names
    (('This Agreement is entered into by and between Centro International, a Florida corporation ("the Customer"), and '
     'i-on webworks, a Florida corporation ("i-on").'),
     ["Centro International", "i-on webworks"]),
    (('This agreement is entered into by and between the Home Corporation ("Home"), located at 450 Broadway, and '
     'e-ventives, Inc., ("e-ventives"), a Delaware corporation.'),
     ["Home Corporation", "e-ventives, Inc."]),
    # a party the preamble points to, named in a form field
    (('This Reseller Agreement is made by and between Quill Partners, LLC ("Quill"), a Virginia limited liability '
     'company ("Reseller") and the company set forth below ("Company"):   Company: Bramble Systems, Inc. (BRM) '
     "Telephone: 555-0100\nAddress: 1 Main St."),
     ["Quill Partners, LLC", "Bramble Systems, Inc."]),
    # a form that lists the parties by letter
    (("Cooperation Agreement\n\nThis Agreement is executed by and between the parties below in Haidian District, "
     'Beijing (hereinafter referred to as "PRC"):\n\nParty A: Lark Internet Technology Co., Ltd.\nAddress: Room 1\n\n'
     "Party B: Wren Online Network Co., Ltd.\nAddress: No. 10\n"),
     ["Lark Internet Technology Co., Ltd.", "Wren Online Network Co., Ltd."]),
    # title pages: "&" between the parties; two parties joined on one line
    ("HOSTING AGREEMENT\n\nBETWEEN\n\nT-NORTH NETHERLANDS B.V.\n\n&\n\nElm Talk Holding AG\n\nTABLE OF CONTENT",
     ["T-NORTH NETHERLANDS B.V.", "Elm Talk Holding AG"]),
    ("Network Build Agreement Between Corvo Wireless, LLC And Delta Mobility LLC\n\nTABLE OF CONTENTS 1.1 Scope",
     ["Corvo Wireless, LLC", "Delta Mobility LLC"]),
    # a party named only by the term an earlier sentence defined for it
    (('Falcon Media, Inc. ("FM"), a Delaware company, hosts the event. This Agreement is made by and between Jade '
     'Trading Ltd ("JT") a Beijing company (the "Sponsor") and FM.'),
     ["Jade Trading Ltd", "Falcon Media, Inc."]),
    # ", Individual"; a last party after "; and", with an unquoted term
    (('This AGREEMENT is made by and between Bruce Kemper, Individual ("CELEBRITY"), with his offices located in '
     "California; and The Right Path, a Nevada Corporation (the COMPANY), with its offices in Las Vegas."),
     ["Bruce Kemper", "The Right Path"]),
    # "- and -" between the parties of a title block
    (('THIS AGREEMENT made this 20 day of May, 1995.\n\nB E T W E E N:\n\nHERON COURIER LTD. ("Heron")\n - and -\n'
     'PIKE COURIER SYSTEMS LTD. a subsidiary of Pike Inc. ("Pike")\n\nWHEREAS Heron provides courier services;'),
     ["HERON COURIER LTD.", "PIKE COURIER SYSTEMS LTD."]),
    # a "PREAMBLE" heading opens the preamble; "in the person of" its officer is no party
    (("TRANSPORT CONTRACT\n\nJanuary 31, 2000\n\nPREAMBLE\n\nJSC Alpha Oil, hereinafter referred to as the "
     '"Company", in the person of its Director Mr. A. B. Smith, acting on the basis of the Charter, on the one side '
     'and JSC Beta Munai, hereinafter referred to as the "Principal", on the other side, have entered into this Contract.'),
     ["JSC Alpha Oil", "JSC Beta Munai"]),
    # the terms of later sentences are no parties
    (('This Agreement is entered into by and between Stall Capital, Ltd., a Texas limited partnership ("Racing"), and '
     'GAMMA, INC., a Texas corporation (the "Sponsor").\n\nRacing organized and operated a racing team (the "Racing '
     'Team") in 2005.'),
     ["Stall Capital, Ltd.", "GAMMA, INC."]),
    # "between" only in a recital: the parties were defined before it
    (('This Software Hosting Agreement (the "Agreement") is effective as of the later of the two signature dates below '
     '(the "Effective Date") INKWELL CORPORATION ("Inkwell"), a California corporation, and MOSSWARE CORPORATION '
     '("Mossware"), a Washington Corporation, with reference to the facts below.\n\nRecitals\n\nA. Pursuant to '
     'the Development Agreement between the parties (the "Development Agreement"), Inkwell customizes its software.'),
     ["INKWELL CORPORATION", "MOSSWARE CORPORATION"]),
    # numbered parties laid out in columns; an address before the number is no name
    (('THIS AGREEMENT IS MADE ON THE 19 DAY OF MAY, 2010     PARTIES     (1) SHAW (HONG KONG) LTD, a company '
     'incorporated in Hong Kong whose registered office is at Unit 3208 ("SHAW"); and  Convention Plaza, 1 Harbour Rd, '
     'Hong Kong     (2) WASTEGREEN GROUP HOLDINGS PLC a company incorporated in Isle of Man ("WG"), each a "Party".'),
     ["SHAW (HONG KONG) LTD", "WASTEGREEN GROUP HOLDINGS PLC"]),
    # a place defined between the parties is no party; the second party follows the first one's sentence
    (("1. Baoding Fern Group Limited Liability Company (hereinafter referred to as Party A), established and existing "
     'under the laws of the People\'s Republic of China ("PRC"), registered in China.\n\n'
     "2. Valiant Technology, Inc., (hereinafter referred to as Party B), established under the laws of Delaware."),
     ["Baoding Fern Group Limited Liability Company", "Valiant Technology, Inc."]),
    # the parties of another agreement the preamble refers to are no parties
    (('This Amendment is made by and among Vega AB, a Swedish corporation ("Vega AB"), and Zhongshan Nissa Industry '
     'Co., Ltd., a Peoples\' Republic of China company ("NBZ"), as an amendment to that certain Joint Venture '
     'Agreement dated March 7, 2016 by and among Autolite ASP, Inc. ("Autolite ASP") and the Nissa Parties.'),
     ["Vega AB", "Zhongshan Nissa Industry Co., Ltd."]),
    # a cover page that lists the parties without "between"
    (("EXHIBIT 99.4\n\nDATED 15TH DECEMBER 2001\n\n      CHINA ECONOMIC SERVICE OF XINHUA AGENCY\n\n       AND\n\n"
     "      XINHUA FINANCE NETWORK LIMITED\n\nCONTENT LICENSE AGREEMENT\n\nCONTENT\n\nClause Page"),
     ["CHINA ECONOMIC SERVICE OF XINHUA AGENCY", "XINHUA FINANCE NETWORK LIMITED"]),
    # a label and a layout gap before the first name
    (("Outsourcing Contract on Development of Royal Resort Hotel   The Covenanter: The HUANG JIA Country CLUB and "
     "Recreation Inc. (hereinafter referred to as Party A) and the Covenanter: Chen Bin Architects Office "
     "(hereinafter referred to as Party B) hereby agree as follows:"),
     ["The HUANG JIA Country CLUB and Recreation Inc.", "Chen Bin Architects Office"]),
    # a title page listing several parties, each with its capacity
    (("TRANSFER AGREEMENT\n\namong\n\nVERDANT OWNER TRUST 2020-A, as Issuer,\n\nVERDANT ABS LLC, as Depositor\n\nand\n\n"
     "CELLO PARTNERSHIP, as Servicer\n\nDated as of January 29, 2020\n\nTABLE OF CONTENTS"),
     ["VERDANT OWNER TRUST 2020-A", "VERDANT ABS LLC", "CELLO PARTNERSHIP"]),
    # "d/b/a" inside a name
    (('This Agreement is made among Verdant Owner Trust, a Delaware statutory trust (the "Issuer"), and Cello '
     'Partnership d/b/a Verdant Wireless, a Delaware general partnership ("Cello").'),
     ["Verdant Owner Trust", "Cello Partnership d/b/a Verdant Wireless"]),
    # "the undersigned" are the parties: the entities of the signature blocks, not those signing for them
    (("JOINT FILING AGREEMENT\n\nThe undersigned hereby agree to the joint filing of a Schedule 13G with respect to "
     "the common stock of Zeta Pharma, Inc.\n\nDated: July 6, 2020\n\nOAK RIVER PARTNERS, LLC\nBy: /s/ Jane Roe\n"
     "Name: Jane Roe\nTitle: Authorized Signatory\n\nOAK RIVER FUND II, L.P.\nBy: Oak River Partners, LLC, its general "
     "partner\nBy: /s/ Jane Roe\nName: Jane Roe\n\nJOHN Q. PUBLIC\n/s/ John Q. Public\n"),
     ["OAK RIVER PARTNERS, LLC", "OAK RIVER FUND II, L.P.", "JOHN Q. PUBLIC"]),
    # parties named as "Party A" without quotes
    (("Outsourcing Contract\n\nThis Contract is made by and between Lotus Garden Club Inc. (hereinafter referred to as "
     "Party A) and Chen Architects Office (hereinafter referred to as Party B) as follows:"),
     ["Lotus Garden Club Inc.", "Chen Architects Office"]),
    # a public body described by what it is: ", a Texas home-rule city"
    (('This AGREEMENT is entered into by the City of Millbrook, Texas, a Texas Type A-General Law city ("Millbrook") '
      'and Quarry Water Holdings Corp., a Nevada corporation ("QWH"), effective as of the last date of signature.'),
     ["City of Millbrook, Texas", "Quarry Water Holdings Corp."]),
    # a title page whose terms say "HEREAFTER" rather than "HEREINAFTER"
    (("SERVICES AGREEMENT\n\nBETWEEN:\n\n    HALDEN MEDIA GROUP B.V.\n    12 KADE STREET\n    AMSTERDAM\n"
      "    (HEREINAFTER \"HALDEN\")\n\n    AND\n\n    CORVIN SPEECH, INC.\n    40 ELM STREET\n    BOSTON, MA 02160\n"
      "    (HEREAFTER \"CORVIN\")\n\n    EFFECTIVE AS OF MARCH 1, 1998"),
     ["HALDEN MEDIA GROUP B.V.", "CORVIN SPEECH, INC."]),
    # a party listed after the previous one's address, with no "and" before it
    (('THIS AGREEMENT is made as of May 2, 2017 by and among Kuro Semiconductor Limited ("KSL"), a kabushiki kaisha '
      'incorporated in Japan, with an address at No.4 Danchi, Aizu, Japan, Tama Semiconductor Limited ("TSL"), a '
      'kabushiki kaisha incorporated in Japan, and Lumen, Inc. ("LUM"), a Delaware corporation (collectively, the '
      '"Parties").'),
     ["Kuro Semiconductor Limited", "Tama Semiconductor Limited", "Lumen, Inc."]),
    # ... but not the principal a party acts for, nor its descriptor
    (('This License Agreement is entered into as of May 1, 2004 by and between Orbit Licensing & Merchandising, a '
      'division of Orbit Group, Inc. ("Orbit"), as Administrator for Orbit Film Corporation ("Licensor"), and '
      'Sorrel Ltd HK ("Sorrel"), a Nevada Corporation, (hereinafter referred to as "Sorrel").'),
     ["Orbit Licensing & Merchandising", "Sorrel Ltd HK"]),
    # a parenthesis inside a company's name
    (('THIS AGREEMENT is made by and among (a) Skylark Communications, S.A. ("Skylark"), a company, (b) TOM Online '
      '(BVI) Limited ("Online BVI"), a company incorporated in the British Virgin Islands, and (c) TOM Online Inc. '
      '("Tom Holding"), a company.'),
     ["Skylark Communications, S.A.", "TOM Online (BVI) Limited", "TOM Online Inc."]),
]


@pytest.mark.parametrize(("text", "names"), CASES, ids=[c[1][0] for c in CASES])
def test_party_names(text: str, names: list[str]) -> None:
    found, _ = P.parties(text)
    assert found is not None
    assert found.value == names
    for (s, e), name in zip(found.evidence, names):
        assert text[s:e] == name


@pytest.mark.parametrize("chunk", [
    "Customer", "the Company or based upon written information supplied by the C", "May 21", "to",
    "Exhibit 10.31 pursuant to", "a resident of", "the Corporation", "having", "Consulting Agreement",
    "4,500,000 Trust Preferred Income Equity Redeemable Securities", "the company set forth below",
    "Seller on , in Hong Kong", "the People's Republic of China", "State of Delaware",
    # from click-through terms and addenda, which name no party in a preamble
    "AI Addendum", "Acme Corporate Terms of Service", "CUSTOMER FOR THAT PURPOSE", "Subcontractor",
    "Welcome to Acme Marketplace", "Although offered by Acme, Inc.", "Your participation in the Acme Sponsors Program",
])
def test_not_a_name(chunk: str) -> None:
    assert P._clean_name(chunk) is None


@pytest.mark.parametrize(("chunk", "name"), [
    ("May Department Stores Company", "May Department Stores Company"),
    ("drkoop.com, Inc.", "drkoop.com, Inc."),
    ("iBio, Inc.", "iBio, Inc."),
    ("as administrator for Twentieth Century Fox Film Corporation", "Twentieth Century Fox Film Corporation"),
    ("ORRERY INCORPORATED, a Delaware corporation", "ORRERY INCORPORATED"),
    ("e-ventives, Inc., a Delaware corporation", "e-ventives, Inc."),
    ("Silver Smelters Ltd, registration number 1998/019036/07, VAT 4310", "Silver Smelters Ltd"),
    ("Apollo Endo, Delaware corporation having offices at 1120 Capital Highway", "Apollo Endo"),
    ("Trust Advisors to the Seller Trusts listed on Schedule A hereto", "Trust Advisors to the Seller Trusts"),
    ("UBS AG, London Branch", "UBS AG"),
    ("Wells Bank, N.A., not individually, but solely as Master Servicer", "Wells Bank, N.A."),
    ("The undersigned, Dundee Securities Ltd.", "Dundee Securities Ltd."),
    ("From: Alpen Bank AG", "Alpen Bank AG"),
    ("\u25cf Gooseberry Agency, LLC", "Gooseberry Agency, LLC"),
    ("Organic Prep Inc. 2nd Floor, Lini Highway, Port Vila", "Organic Prep Inc."),
    ("Cargo, Incorporated through its Bio Technology Development Center", "Cargo, Incorporated"),
    ("Blue Hills Bank, a Massachusetts\u00adchartered stock savings bank", "Blue Hills Bank"),
    ("American Life Insurance Company, and OneWay Securities, Inc., a registered Broker Dealer",
     "American Life Insurance Company, and OneWay Securities, Inc."),
    ("Jaguar Investments, Inc. and its affiliates", "Jaguar Investments, Inc."),
    ("DUVAL ENTERPRISES, INC. c/o International Management, Inc., IMG Center", "DUVAL ENTERPRISES, INC."),
    ("Sphere 4D Corp., with an address at 895 Don Mills Road", "Sphere 4D Corp."),
    ("GROUPE PARAMUS CORP , a", "GROUPE PARAMUS CORP"),
    ("Zhongshan Nissa Industry Co., Ltd., a Peoples' Republic of China company", "Zhongshan Nissa Industry Co., Ltd."),
])
def test_names_that_look_odd_but_are_names(chunk: str, name: str) -> None:
    assert P._clean_name(chunk) == name


def test_filing_legend_is_not_a_party() -> None:
    text = ("[***] CERTAIN INFORMATION HAS BEEN OMITTED AND FILED SEPARATELY WITH THE SECURITIES AND EXCHANGE "
            "COMMISSION PURSUANT TO RULE 406.\n\nThis Agreement is entered into by and between Heron Bank, N.A. "
            '("Heron") and Finch Labs, Inc. ("Supplier").')
    found, _ = P.parties(text)
    assert found is not None and found.value == ["Heron Bank, N.A.", "Finch Labs, Inc."]


def test_title_page_evidence_is_the_preamble() -> None:
    """Parties read from a title page are evidenced where the preamble (after the contents) defines them."""
    contents = "".join(f"{i}. Section heading number {i} ........ {i}\n" for i in range(1, 120))
    text = ("COLLABORATION AGREEMENT\n\nBY AND BETWEEN\n\nORION PHARMA INC.\n\nAND\n\nSILVERGATE BIO, INC.\n\n"
            "TABLE OF CONTENTS\n" + contents + "\nThis Agreement is made by and between Orion Pharma Inc., a Delaware "
            'corporation ("Orion"), and Silvergate Bio, Inc., a Delaware corporation ("Silvergate").')
    found, _ = P.parties(text)
    assert found is not None and found.value == ["ORION PHARMA INC.", "SILVERGATE BIO, INC."]
    start = text.index("This Agreement")
    assert all(s > start for s, _ in found.evidence)
    assert [text[s:e] for s, e in found.evidence] == ["Orion Pharma Inc.", "Silvergate Bio, Inc."]
