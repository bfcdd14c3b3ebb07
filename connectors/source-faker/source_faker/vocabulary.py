"""Small embedded word lists the fake records are drawn from.

Embedded rather than taken from a faker library: drawing from a tuple is the whole cost, and the lists never
change under us, so the same seed gives the same records on every install. Changing any list changes the
output for every seed, which is a breaking change (see the changelog in docs/integrations/sources/faker.md).
"""

from __future__ import annotations

FEMALE_NAMES = (
    "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah", "Karen",
    "Lisa", "Nancy", "Betty", "Sandra", "Margaret", "Ashley", "Kimberly", "Emily", "Donna", "Michelle",
    "Carol", "Amanda", "Melissa", "Deborah", "Stephanie", "Rebecca", "Laura", "Sharon", "Cynthia", "Kathleen",
    "Amy", "Angela", "Shirley", "Anna", "Brenda", "Pamela", "Emma", "Nicole", "Helen", "Samantha",
    "Katherine", "Christine", "Debra", "Rachel", "Carolyn", "Janet", "Catherine", "Maria", "Heather", "Diane",
    "Ruth", "Julie", "Olivia", "Joyce", "Virginia", "Victoria", "Kelly", "Lauren", "Christina", "Joan",
    "Evelyn", "Judith", "Megan", "Andrea", "Cheryl", "Hannah", "Jacqueline", "Martha", "Gloria", "Teresa",
)  # fmt: skip

MALE_NAMES = (
    "James", "Robert", "John", "Michael", "David", "William", "Richard", "Joseph", "Thomas", "Charles",
    "Christopher", "Daniel", "Matthew", "Anthony", "Mark", "Donald", "Steven", "Paul", "Andrew", "Joshua",
    "Kenneth", "Kevin", "Brian", "George", "Timothy", "Ronald", "Edward", "Jason", "Jeffrey", "Ryan",
    "Jacob", "Gary", "Nicholas", "Eric", "Jonathan", "Stephen", "Larry", "Justin", "Scott", "Brandon",
    "Benjamin", "Samuel", "Gregory", "Alexander", "Frank", "Patrick", "Raymond", "Jack", "Dennis", "Jerry",
    "Tyler", "Aaron", "Jose", "Adam", "Nathan", "Henry", "Douglas", "Zachary", "Peter", "Kyle",
    "Ethan", "Walter", "Noah", "Jeremy", "Christian", "Keith", "Roger", "Terry", "Gerald", "Harold",
)  # fmt: skip

NEUTRAL_NAMES = (
    "Alex", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Avery", "Quinn", "Skyler",
    "Charlie", "Robin", "Sam", "Rowan", "Sage", "Reese", "Finley", "Emerson", "Hayden", "Kai",
)  # fmt: skip

LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
    "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
    "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts",
    "Gomez", "Phillips", "Evans", "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes",
    "Stewart", "Morris", "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper",
    "Peterson", "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson",
    "Watson", "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes",
    "Price", "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jimenez",
)  # fmt: skip

GENDERS = ("Female", "Male", "Other")
TITLES = {
    "Female": ("Ms.", "Mrs.", "Miss", "Dr.", "Prof."),
    "Male": ("Mr.", "Mr.", "Sir", "Dr.", "Prof."),
    "Other": ("Mx.", "Mx.", "Mx.", "Dr.", "Prof."),
}
FIRST_NAMES = {"Female": FEMALE_NAMES, "Male": MALE_NAMES, "Other": NEUTRAL_NAMES}

EMAIL_DOMAINS = (
    "example.com", "example.org", "example.net", "mail.test", "inbox.test", "post.test", "corp.test", "home.test",
)  # fmt: skip

LANGUAGES = (
    "English", "Spanish", "French", "German", "Italian", "Portuguese", "Dutch", "Swedish", "Norwegian", "Danish",
    "Finnish", "Polish", "Czech", "Hungarian", "Greek", "Turkish", "Russian", "Ukrainian", "Arabic", "Hebrew",
    "Hindi", "Bengali", "Urdu", "Mandarin", "Cantonese", "Japanese", "Korean", "Vietnamese", "Thai", "Swahili",
)  # fmt: skip

ACADEMIC_DEGREES = ("Bachelor", "Master", "PhD", "Associate", "None")

NATIONALITIES = (
    "American", "Argentine", "Australian", "Austrian", "Belgian", "Brazilian", "British", "Canadian", "Chilean",
    "Chinese", "Colombian", "Czech", "Danish", "Dutch", "Egyptian", "Finnish", "French", "German", "Greek",
    "Indian", "Irish", "Israeli", "Italian", "Japanese", "Kenyan", "Korean", "Mexican", "New Zealander",
    "Nigerian", "Norwegian", "Peruvian", "Polish", "Portuguese", "Russian", "Spanish", "Swedish", "Swiss",
    "Thai", "Turkish", "Vietnamese",
)  # fmt: skip

OCCUPATIONS = (
    "Accountant", "Actor", "Architect", "Baker", "Barista", "Biologist", "Carpenter", "Chef", "Chemist",
    "Civil Engineer", "Data Analyst", "Data Engineer", "Dentist", "Designer", "Economist", "Electrician",
    "Firefighter", "Florist", "Gardener", "Geologist", "Graphic Designer", "Historian", "Journalist", "Judge",
    "Lawyer", "Librarian", "Mechanic", "Musician", "Nurse", "Optician", "Painter", "Paramedic", "Pharmacist",
    "Photographer", "Physicist", "Pilot", "Plumber", "Police Officer", "Professor", "Programmer",
    "Psychologist", "Receptionist", "Sales Manager", "Scientist", "Software Engineer", "Statistician",
    "Surgeon", "Tailor", "Teacher", "Translator", "Veterinarian", "Waiter", "Web Developer", "Writer",
)  # fmt: skip

BLOOD_TYPES = ("O+", "O-", "A+", "A-", "B+", "B-", "AB+", "AB-")

STREET_NAMES = (
    "Main", "Oak", "Pine", "Maple", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park", "Sunset", "River",
    "Church", "Spring", "Highland", "Meadow", "Forest", "Willow", "Jefferson", "Lincoln", "Madison", "Franklin",
    "Chestnut", "Walnut", "Birch", "Cherry", "Dogwood", "Harbor", "Mill", "Ridge", "Valley", "View",
)  # fmt: skip

STREET_SUFFIXES = ("Street", "Avenue", "Road", "Lane", "Drive", "Court", "Boulevard", "Way")

# (city, state, province, country_code): state is the full region name, province its short code.
PLACES = (
    ("New York", "New York", "NY", "US"), ("Los Angeles", "California", "CA", "US"),
    ("Chicago", "Illinois", "IL", "US"), ("Houston", "Texas", "TX", "US"), ("Phoenix", "Arizona", "AZ", "US"),
    ("Philadelphia", "Pennsylvania", "PA", "US"), ("San Antonio", "Texas", "TX", "US"),
    ("San Diego", "California", "CA", "US"), ("Dallas", "Texas", "TX", "US"), ("Austin", "Texas", "TX", "US"),
    ("Seattle", "Washington", "WA", "US"), ("Denver", "Colorado", "CO", "US"), ("Boston", "Massachusetts", "MA", "US"),
    ("Portland", "Oregon", "OR", "US"), ("Atlanta", "Georgia", "GA", "US"), ("Miami", "Florida", "FL", "US"),
    ("Toronto", "Ontario", "ON", "CA"), ("Montreal", "Quebec", "QC", "CA"),
    ("Vancouver", "British Columbia", "BC", "CA"),
    ("Calgary", "Alberta", "AB", "CA"), ("Sydney", "New South Wales", "NSW", "AU"),
    ("Melbourne", "Victoria", "VIC", "AU"), ("Brisbane", "Queensland", "QLD", "AU"),
    ("London", "England", "ENG", "GB"), ("Manchester", "England", "ENG", "GB"), ("Edinburgh", "Scotland", "SCT", "GB"),
    ("Dublin", "Leinster", "L", "IE"), ("Berlin", "Berlin", "BE", "DE"), ("Munich", "Bavaria", "BY", "DE"),
    ("Paris", "Ile-de-France", "IDF", "FR"), ("Lyon", "Auvergne-Rhone-Alpes", "ARA", "FR"),
    ("Madrid", "Community of Madrid", "MD", "ES"), ("Barcelona", "Catalonia", "CT", "ES"),
    ("Rome", "Lazio", "LAZ", "IT"), ("Milan", "Lombardy", "LOM", "IT"), ("Amsterdam", "North Holland", "NH", "NL"),
)  # fmt: skip

CAR_MODELS = {
    "Audi": ("A3", "A4", "A6", "Q3", "Q5", "Q7", "e-tron"),
    "BMW": ("3 Series", "5 Series", "X1", "X3", "X5", "i4", "Z4"),
    "Chevrolet": ("Malibu", "Silverado", "Tahoe", "Equinox", "Camaro", "Bolt"),
    "Ford": ("F-150", "Mustang", "Explorer", "Escape", "Focus", "Ranger"),
    "Honda": ("Civic", "Accord", "CR-V", "Pilot", "Fit", "HR-V"),
    "Hyundai": ("Elantra", "Sonata", "Tucson", "Santa Fe", "Kona", "Ioniq 5"),
    "Kia": ("Rio", "Forte", "Sportage", "Sorento", "Telluride", "EV6"),
    "Mazda": ("Mazda3", "Mazda6", "CX-3", "CX-5", "CX-9", "MX-5"),
    "Mercedes-Benz": ("A-Class", "C-Class", "E-Class", "GLA", "GLC", "GLE"),
    "Nissan": ("Altima", "Sentra", "Rogue", "Leaf", "Pathfinder", "Frontier"),
    "Subaru": ("Impreza", "Legacy", "Outback", "Forester", "Crosstrek", "WRX"),
    "Tesla": ("Model 3", "Model S", "Model X", "Model Y"),
    "Toyota": ("Corolla", "Camry", "RAV4", "Highlander", "Prius", "Tacoma"),
    "Volkswagen": ("Golf", "Jetta", "Passat", "Tiguan", "Atlas", "ID.4"),
    "Volvo": ("S60", "S90", "XC40", "XC60", "XC90", "V60"),
}
