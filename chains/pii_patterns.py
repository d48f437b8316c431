"""The patterns `chains.pii` matches against normalised text (NFKC, zero-width characters removed)."""
from __future__ import annotations

import re

# --- e-mail ----------------------------------------------------------------------------------------------
_LOCAL = r"[A-Za-z0-9][A-Za-z0-9._%+'-]*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_TLDS = (r"(?:com|net|org|edu|gov|info|biz|io|me|co|kr|jp|cn|uk|us|ca|au|nz|de|fr|es|it|nl|be|ch|at|se|no|dk|fi|"
         r"pl|pt|ie|ru|in|br|mx|sg|hk|tw|vn|th|id|ph|my|dev|app|ai|xyz|shop|store)")
EMAIL = re.compile(rf"(?<![\w.+'-]){_LOCAL}@{_LABEL}(?:\.{_LABEL})*\.[A-Za-z]{{2,}}(?![\w-])")
# "name @ example . com", "name [at] example [dot] com", "name(at)daum(dot)net", "name 골뱅이 naver 점 com"
_AT = r"(?:\s*@\s*|\s*[\[({<]\s*at\s*[\])}>]\s*|\s*골뱅이\s*)"
_DOT = r"(?:\s*\.\s*|\s*[\[({<]\s*dot\s*[\])}>]\s*|\s+점\s+|\s*점\s*(?=[A-Za-z]))"
EMAIL_SPELLED = re.compile(rf"(?<![\w.+'-]){_LOCAL}{_AT}{_LABEL}(?:{_DOT}{_LABEL})*{_DOT}{_TLDS}(?![\w-])", re.I)
# "daniel at outlook dot com", "lucas DOT martin AT free DOT fr"
_WDOT = r"(?:\s+dot\s+|\.)"
EMAIL_WORDS = re.compile(rf"(?<![\w.+'-]){_LABEL}(?:{_WDOT}{_LABEL})*\s+at\s+{_LABEL}(?:{_WDOT}{_LABEL})*"
                         rf"(?:\s+dot\s+){_TLDS}(?![\w-])|(?<![\w.+'-]){_LABEL}(?:{_WDOT}{_LABEL})*\s+at\s+"
                         rf"{_LABEL}(?:\.{_LABEL})*\.{_TLDS}(?![\w-])", re.I)

# --- numbers ---------------------------------------------------------------------------------------------
IBAN = re.compile(r"(?<![A-Z0-9])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?(?![A-Z0-9])")
CARD = re.compile(r"(?<![\w.-])(?<![A-Z]{2}\d{2} )\d(?:[ .-]?\d){12,18}(?![\w-]|\.\d)")
_DASH = r"[-‐‑‒–—―]"
RRN = re.compile(rf"(?<![\d.])(\d{{6}})(?:\s*{_DASH}\s*|\s)[1-8]\d{{6}}(?![\d-])")
RRN_DIGITS = re.compile(r"(?<![\d.-])\d{6}[1-8]\d{6}(?![\d-])")
RRN_CUE = re.compile(r"주민|resident\s+reg|\bRRN\b|Korean\s+ID", re.I)
RRN_PARTS = re.compile(r"주민.{0,15}?앞\s*(?:자리|6자리)\s*[:은는]?\s*(\d{6})(?!\d)(?:.{0,10}?(?:뒷\s*자리|뒤\s*7\s*자리)\s*[:은는]?\s*([1-8]\d{6})(?!\d))?")
DATE_SHAPE = re.compile(r"(?:19|20)\d{2}[-./ ]\d{1,2}[-./ ]\d{1,2}")

# Korean numbers keep their own patterns (the old ones, still used by tests and importers' checks).
PHONE_PATTERNS = [
    re.compile(r"(?<![\w+])\+82[\s.-]?\(?0?\)?1[016789][\s.-]?\d{3,4}[\s.-]?\d{4}(?!\d)"),
    re.compile(r"(?<![\w-])01[016789][\s.-]?\d{3,4}[\s.-]?\d{4}(?![\d-])"),
    re.compile(r"(?<![\w-])0(?:2|[3-6][1-5])[\s.-]?\d{3,4}[\s.-]?\d{4}(?![\d-])"),
    re.compile(r"(?<![\w+])\+\d{1,3}(?:[\s.-]?\(?\d{1,4}\)?){2,4}[\s.-]?\d{2,4}(?!\d)"),
    re.compile(r"(?<![\w-])\(\d{3}\)\s?\d{3}[\s.-]\d{4}(?!\d)"),
    re.compile(r"(?<![\w-])\d{3}[.-]\d{3}[.-]\d{4}(?![\d-])"),
]
# digits with any light separators ("0 1 0 9 8 7 6", "010 - 3141 - 5926"); validated by phonenumbers
PHONE_DIGITS = re.compile(r"(?<![\w+#.-])(?<!\d\s)(?<!\d[.-])(?:\+\s*|\(\s*)?[0+]\d*(?:\s*[-.()/]?\s*\d+){1,14}(?![\w])")
DIGIT_RUN = re.compile(r"\d+")
_KO = "공영일이삼사오육륙칠팔구"
KOREAN_DIGITS = str.maketrans({"공": "0", "영": "0", "일": "1", "이": "2", "삼": "3", "사": "4", "오": "5", "육": "6",
                               "륙": "6", "칠": "7", "팔": "8", "구": "9"})
PHONE_WORDS = re.compile(rf"(?<![가-힣])[공영](?:[\s.-]*[{_KO}]){{8,12}}")
KOREAN_DIGIT = re.compile(rf"[{_KO}]")

# --- bank accounts ---------------------------------------------------------------------------------------
_NUMBER = r"(?P<number>(?<![\w-])\d{2,6}(?:[- ]\d{1,8}){1,4}(?![\w-])|(?<![\d-])\d{10,16}(?![\d-]))"
_BANK_KO = (r"(?:KB\s?)?국민|신한|우리|하나|(?:NH\s?)?농협|(?:IBK\s?)?기업|카카오\s?뱅크|토스\s?뱅크|케이\s?뱅크|SC\s?제일|"
            r"씨티|새마을금고|우체국|수협|부산|대구|경남|광주|전북|제주|산업|신협")
_BANK_EN = (r"KB|Kookmin|Shinhan|Woori|Hana|NongHyup|NH|IBK|Kakao\s?Bank|Toss\s?Bank|K\s?Bank|Citi(?:bank)?|HSBC|"
            r"Chase|Barclays|Wells\s+Fargo|Bank\s+of\s+America|Lloyds|Santander|Monzo|Revolut")
_ACCOUNT_WORD = r"(?:계좌|통장|입금|account|acct|a/c)"
ACCOUNT_AFTER_CUE = re.compile(rf"(?:계좌|통장|account|acct\.?|a/c)(?:\s*(?:번호|number|no\.?|#))?\s*[:#]?\s*(?:is\s+)?{_NUMBER}", re.I)
ACCOUNT_AFTER_BANK = re.compile(
    rf"(?:(?:{_BANK_KO})(?:은행)?|(?:{_BANK_EN})(?:\s+Bank)?)(?:\s*{_ACCOUNT_WORD})?(?:\s*(?:번호|number|no\.?))?"
    rf"(?:으로|로|에서|의)?\s*[,:]?\s*(?:is\s+)?{_NUMBER}", re.I)
ACCOUNT_BEFORE_BANK = re.compile(rf"{_NUMBER}\s*(?:\(|at\s+|,\s*)?(?:(?:{_BANK_KO})(?:은행|이요|이에요|입니다)|(?:{_BANK_EN})\s+Bank)", re.I)

# --- passports -------------------------------------------------------------------------------------------
PASSPORT_KR = re.compile(r"(?<![A-Za-z0-9-])[MSRGDT](?:\d{8}|\d{3}[A-Z]\d{4})(?![A-Za-z0-9-])")
PASSPORT_CUE = re.compile(r"passport|여권", re.I)
PASSPORT_NUMBER = re.compile(r"(?<![A-Za-z0-9])(?-i:[A-Z]{1,3}\s)?(?=[A-Z0-9]*\d)[A-Z0-9]{4,10}(?:\s\d{3,5})?(?![A-Za-z0-9])", re.I)

# --- birth dates -----------------------------------------------------------------------------------------
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_DATE = (rf"(?:(?:19|20)?\d{{2}}\s*년\s*\d{{1,2}}\s*월\s*\d{{1,2}}\s*일"
         rf"|\d{{4}}\s*[-./]\s*\d{{1,2}}\s*[-./]\s*\d{{1,2}}"
         rf"|\d{{1,2}}\s*[-./]\s*\d{{1,2}}\s*[-./]\s*\d{{2,4}}"
         rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH},?\s+\d{{4}}"
         rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})")
_BIRTH = r"(?:born|b\.|DOB|D\.O\.B\.?|date\s+of\s+birth|birth\s*date|birthday|생년월일|생일|출생일?|태어난\s*날)"
BIRTH_CUE_BEFORE = re.compile(rf"{_BIRTH}[^\d\n]{{0,20}}?(?<![\d.])(?P<date>{_DATE})(?!\d)", re.I)
BIRTH_CUE_AFTER = re.compile(rf"(?<![\d.])(?P<date>{_DATE})(?:\s*생|[^\d\n]{{0,12}}?(?:\(\s*DOB|birthday|생일|생년월일))", re.I)
BIRTH_COMPACT = re.compile(rf"{_BIRTH}[^\d\n]{{0,12}}?(?<![\d.-])(?P<date>(?:19|20)\d{{6}}|\d{{6}})(?![\d-])", re.I)

# --- IP addresses ----------------------------------------------------------------------------------------
IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d]|\.\d)")
IPV6 = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?![\w:])")

# --- addresses -------------------------------------------------------------------------------------------
_PROVINCE = (r"(?:서울|부산|대구|인천|광주|대전|울산|세종|경기|강원|충북|충남|충청북|충청남|전북|전남|전라북|전라남|경북|경남|"
             r"경상북|경상남|제주)(?:특별시|광역시|특별자치시|특별자치도|도|시)?")
_CITY = r"[가-힣]{1,4}(?:시|군|구)"
_AFTER_NUMBER = r"(?=\s|[,.)\]]|$|에|으로|로|이|가|번지|입니다|이에요|예요)"
_ROAD = rf"[가-힣0-9]{{1,12}}(?:대로|로|길)(?:\s*\d{{1,4}}(?:번)?길)?\s*\d{{1,4}}(?:-\d{{1,4}})?{_AFTER_NUMBER}"
_REGION = rf"(?:{_PROVINCE}\s+(?:{_CITY}\s+){{0,2}}|(?:{_CITY}\s+){{1,2}})"
_LOT = rf"(?<![가-힣])[가-힣]{{1,5}}(?:동|리|가)\s*\d{{1,4}}(?:-\d{{1,4}}|\s*번지){_AFTER_NUMBER}"
_APT = r"(?<!\d)\d{1,4}\s*동\s*\d{1,5}\s*호(?!선)"
_STREET = (r"(?:Street|St|Road|Rd|Avenue|Ave|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Close|"
           r"Crescent|Square|Sq|Parkway|Pkwy|Highway|Hwy|Row|Mews|Gardens|Grove|Hill)")
_ROMAN_ROAD = r"[A-Z][a-z]+(?:-[a-z]+)*-(?:ro|gil|daero|dong|gu)"
ADDRESS_PATTERNS = [
    re.compile(rf"{_REGION}{_ROAD}"),
    re.compile(rf"(?:{_REGION})?{_LOT}"),
    re.compile(_APT),
    re.compile(rf"(?<![\w.])\d{{1,5}}[A-Za-z]?(?:-\d{{1,4}})?,?\s+(?:[A-Z][A-Za-z'.-]*\s+){{1,4}}{_STREET}\b\.?"
               r"(?:\s+(?:NW|NE|SW|SE|N|S|E|W)\b)?"),
    re.compile(rf"(?<![\w.])\d{{1,5}}(?:-\d{{1,4}})?,?\s+{_ROMAN_ROAD}\b(?:\s+\d{{1,4}}(?:-\d{{1,4}})?(?:-gil|-beon-gil)?\b)?"),
    re.compile(rf"\b{_ROMAN_ROAD}\s+\d{{1,4}}(?:-\d{{1,4}})?(?:-gil)?\b(?:\s+\d{{1,4}}\b)?"),
    re.compile(r"\b(?i:apt|apartment|unit|suite|ste|flat)\b\.?\s*#?\s*\d{1,5}[A-Za-z]?\b"),
]

# --- names -----------------------------------------------------------------------------------------------
_TOKEN = r"[A-Z](?:[a-z]+|'[A-Z][a-z]+)(?:[A-Z][a-z]+)?(?:-[A-Z][a-z]+)?"
_FULL = rf"{_TOKEN}(?:\s+{_TOKEN}){{0,2}}"
_RELATION = (r"husband|wife|son|daughter|mother|mom|mum|father|dad|partner|friend|colleague|co-?worker|brother|"
             r"sister|boss|manager|neighbou?r|room-?mate|flatmate|fianc[ée]e?|girlfriend|boyfriend|grandmother|grandma|"
             r"grandfather|grandpa|aunt|uncle|cousin|niece|nephew|assistant|landlord|tenant|agent|representative")
_CUE = (rf"(?i:(?:my|our|your|his|her|their)\s+(?:{_RELATION})(?:'s\s+name\s+is|\s+is)?\s*,?"
        r"|\bname(?:'s|\s+is|\s+was)?\s*[:,]?|\bnamed|\bcalled|\bMrs?\.?|\bMs\.?|\bMiss|\bMx\.?|\bDr\.?|\bProf\.?"
        r"|\brecipient(?:\s+is)?\s*:?|\baddressee\s*:?|\battn\.?\s*:?|\battention\s*:?|\bc/o|\bcare\s+of"
        r"|\bsigned\s+for\s+by|\bspoke\s+(?:to|with)|\btalked\s+to|\bspeaking\s+with|\bdeliver(?:ed)?\s+to)")
NAME_AFTER_CUE = re.compile(rf"{_CUE}\s+(?P<name>{_FULL})\b")
NAME_AFTER_WEAK_CUE = re.compile(rf"(?i:\bI'm|\bI\s+am|\bthis\s+is|\bit's|\bfrom|regards,|thanks,|cheers,|sincerely,)\s+"
                                 rf"(?P<name>{_TOKEN}\s+{_TOKEN})\b")
NOT_NAMES = {"I", "The", "A", "An", "This", "That", "Please", "Thanks", "Thank", "Hi", "Hello", "Dear", "Customer",
             "Support", "Team", "Order", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
             "January", "February", "March", "April", "June", "July", "August", "September", "October", "November",
             "December", "Korea", "Seoul", "Busan", "My", "Your", "Our", "It", "Maru", "Market", "Not", "No", "Yes",
             "Just", "Still", "Again", "Very", "Sorry", "Amazon", "Coupang", "Naver"}
_SURNAME = "김이박최정강조윤장임한오서신권황안송류유전홍고문양손배백허남심노하곽성차주우구민진나지엄채원천방공현함변염석선설마길연위표명기반왕금옥육인맹제모탁국어은편용예경봉태목형피두감음빈"
_PARTICLE = r"(?=입니다|이에요|예요|이고|이며|이랑|님|씨|고객|이|가|은|는|을|를|의|에게|한테|께|로|으로|와|과|도|\s|[,.)!?]|$)"
_KO_CUE = (r"(?:담당자|담당|상담원|수령인|수취인|받는\s?(?:분|사람)|보내는\s?(?:분|사람)|예금주|명의자?|주문자|이름|성함|성명)"
           r"(?:은|는|이|가|:)?")
_KO_RELATION = r"(?:남편|아내|와이프|신랑|부인|엄마|어머니|아버지|아빠|아들|딸|동생|누나|언니|오빠|친구|저는|제가)"
KO_NOT_NAMES = {
    "전화", "주문", "배송", "문의", "연락", "고객", "기사", "상품", "정말", "진짜", "이번", "지금", "오늘", "방금", "한번",
    "조금", "안내", "성함", "남편", "이거", "이미", "이름", "이상", "정도", "정확", "하루", "한국", "문자", "문제", "변경",
    "반품", "주소", "신청", "금액", "모두", "국내", "나중", "유선", "배달", "방문", "송장", "송금", "최근", "차량", "명의",
    "제가", "제품", "제일", "전부", "전혀", "전달", "부탁", "우리", "우편", "상담", "상태", "서류", "선물", "설명", "손님",
    "마음", "마지막", "기존", "기간", "공식", "현재", "노력", "하나", "구매", "구입", "원래", "오배송", "오류", "도착",
    "도와", "방법", "사용", "사진", "시간", "피해", "안녕", "양말", "손상", "장소", "임시", "함께", "경우", "여기", "여러",
    "연결", "예약", "예정", "위치", "인증", "인터", "지난", "지연", "지급", "지원", "진행", "천천", "추가", "표시", "현관",
    "주세", "다시", "이렇", "그렇", "어떻", "저희", "제대", "택배", "환불", "교환", "결제", "취소", "확인", "수령", "담당",
    "정보", "정상", "이용", "이유", "이후", "이전", "이제", "안전", "안쪽", "오후", "오전", "오랜", "반드", "반송", "배상",
    "사이", "서비", "선택", "신고", "신규", "신발", "유지", "유통", "유료", "무료", "문앞", "기본", "기다", "조회", "조치",
    "장기", "장난", "고장", "고민", "공지", "공휴", "국민", "금방", "남은", "남아", "노란", "도움", "도중", "명확", "모델",
    "모르", "방식", "백화", "변동", "봉투", "사은", "상세", "상자", "색상", "석달", "성공", "손잡", "송도", "수량", "수선",
    "심각", "양쪽", "어제", "연휴", "예전", "옥션", "용량", "우선", "원하", "위에", "육아", "인상", "인터넷", "임의", "제공",
    "제조", "주말", "주신", "주시", "주문자", "진심", "차라", "채팅", "최대", "최소", "탁송", "태그", "편의", "하자", "한정",
    "함부", "허락", "현금", "형태", "홍보", "황당", "가격", "가능", "감사", "경험", "구성", "마감", "이메", "지난번", "계속",
}

_KO_WORD = "(?!" + "|".join(sorted(KO_NOT_NAMES, key=len, reverse=True)) + ")"
_KO_NAME = rf"(?<![가-힣]){_KO_WORD}[{_SURNAME}][가-힣]{{2}}"
KO_NAME_AFTER_CUE = re.compile(rf"(?:{_KO_CUE}|{_KO_RELATION})\s*:?\s*(?P<name>{_KO_NAME}){_PARTICLE}")
KO_NAME_HONORIFIC = re.compile(rf"(?P<name>{_KO_NAME})(?=\s?(?:고객님|고객|님|씨|선생님|과장님|대리님|팀장님|매니저님))")


def known_name(name: str) -> re.Pattern | None:
    """A pattern for a name the ticket tells us (the customer's, an agent's): any letter case, whole words only.

    A single Latin part that is also an everyday word ("Will", "Grace") matches only as written."""
    name = name.strip()
    if len(name) < 2:
        return None
    body = r"\s+".join(re.escape(part) for part in name.split())
    start = r"(?<![\w'])" if re.match(r"\w", name, re.A) else ""
    end = r"(?![A-Za-z])" if re.search(r"[A-Za-z]$", name) else ""
    flags = 0 if (" " not in name and name.lower() in EVERYDAY_WORDS) else re.I
    return re.compile(start + body + end, flags)


EVERYDAY_WORDS = {"will", "may", "june", "april", "august", "mark", "bill", "grace", "hope", "rose", "joy", "faith",
                  "sunny", "summer", "autumn", "dawn", "eve", "art", "frank", "rich", "guy", "jack", "pat", "sue",
                  "ray", "jay", "ken", "don", "ben", "max", "miles", "chase", "page", "lee", "park", "young", "long",
                  "king", "song", "moon", "gold", "sky", "star", "lily", "ivy", "amber", "ruby", "pearl", "crystal",
                  "angel", "honey", "victor", "rob", "tom", "nick", "drew", "gene", "earl", "dean", "grant", "hunter"}
