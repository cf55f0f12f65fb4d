"""The brede intake (broad intake) of the Wet inburgering 2021, as one workflow definition.

It covers what the law requires of the intake (education and work in the country of origin,
personal circumstances including health) and what municipalities ask in practice (languages and
literacy, family and children, housing, income and debts, network, goals and availability), and
ends with the privacy notice. Texts are plain language (B1 or simpler); sensitive steps say why we
ask and who sees the answers. Answers marked ``sensitive=True`` (health, money, a talk without the
partner) are shown back to staff only: the newcomer's own pages say "answered", because a phone may
be shared.

Ids are stored with the answers: never rename one, bump ``version`` instead (and register the
new version beside the old one in ``registry.py``: stored fillings-in keep reading theirs).

It can be answered by SMS (``sms=True``), except what is sensitive or long free text (never asked
by SMS) and the privacy step (``web_only``: its notice must be read in full, on the web).
"""

from __future__ import annotations

from .conditions import Equals, In, Not
from .fields import (
    Choice,
    ChoiceField,
    CountryField,
    DateField,
    EmailField,
    LanguageField,
    LongTextField,
    MultiChoiceField,
    NumberField,
    PhoneField,
    TextField,
    YearsAgo,
    YesNoField,
)
from .i18n import N_
from .model import Step, Workflow

LEVEL_CHOICES = (
    Choice("none", N_("Not at all")),
    Choice("little", N_("A little")),
    Choice("good", N_("Good")),
    Choice("very_good", N_("Very good")),
)

ABOUT_YOU = Step(
    id="about_you",
    title=N_("About you"),
    intro=N_("We start with a few questions about you and how we can reach you."),
    fields=(
        TextField(
            id="preferred_name",
            label=N_("What name do you want us to use?"),
            help=N_("For example your first name or a nickname. You can leave this empty."),
            required=False,
            max_length=100,
        ),
        DateField(
            id="date_of_birth",
            label=N_("What is your date of birth?"),
            min_value=YearsAgo(100),
            max_value=YearsAgo(16),
        ),
        ChoiceField(
            id="gender",
            label=N_("What is your gender?"),
            choices=(
                Choice("woman", N_("Woman")),
                Choice("man", N_("Man")),
                Choice("other", N_("Other")),
            ),
            prefer_not=True,
        ),
        CountryField(id="country_of_birth", label=N_("In which country were you born?"), prefer_not=True),
        PhoneField(
            id="phone",
            label=N_("On which phone number can we reach you?"),
            help=N_("A Dutch number, or a number with country code, like +31 6 12345678."),
        ),
        EmailField(
            id="email",
            label=N_("What is your e-mail address?"),
            help=N_("You can leave this empty if you do not have one."),
            required=False,
        ),
        ChoiceField(
            id="contact_preference",
            label=N_("How do you want us to contact you?"),
            choices=(
                Choice("sms", N_("By SMS")),
                Choice("call", N_("By phone call")),
                Choice("email", N_("By e-mail")),
            ),
        ),
    ),
)

LANGUAGES = Step(
    id="languages",
    title=N_("Languages"),
    intro=N_("Tell us which languages you know. This helps us choose the right Dutch course."),
    fields=(
        LanguageField(id="mother_tongue", label=N_("What is your mother tongue?")),
        LanguageField(
            id="other_language",
            label=N_("Do you speak another language well?"),
            help=N_("Choose one. You can leave this empty."),
            required=False,
        ),
        ChoiceField(
            id="reads_mother_tongue",
            label=N_("How well can you read in your mother tongue?"),
            choices=LEVEL_CHOICES,
        ),
        ChoiceField(
            id="writes_mother_tongue",
            label=N_("How well can you write in your mother tongue?"),
            choices=LEVEL_CHOICES,
        ),
        ChoiceField(
            id="reads_latin_script",
            label=N_("Can you read our alphabet (a, b, c)?"),
            choices=LEVEL_CHOICES,
        ),
        ChoiceField(id="dutch_level", label=N_("How well do you speak Dutch now?"), choices=LEVEL_CHOICES),
        ChoiceField(id="english_level", label=N_("How well do you speak English?"), choices=LEVEL_CHOICES),
    ),
)

EDUCATION = Step(
    id="education",
    title=N_("School and education"),
    intro=N_("Tell us about school and study in the country where you lived before."),
    fields=(
        NumberField(
            id="school_years",
            label=N_("How many years did you go to school?"),
            help=N_("Count all years: primary school, secondary school and further study."),
            min_value=0,
            max_value=30,
        ),
        ChoiceField(
            id="highest_education",
            label=N_("What is the highest education you followed?"),
            choices=(
                Choice("none", N_("No school")),
                Choice("primary", N_("Primary school")),
                Choice("secondary", N_("Secondary school")),
                Choice("vocational", N_("Vocational training")),
                Choice("higher_vocational", N_("College or higher vocational education")),
                Choice("university", N_("University")),
            ),
        ),
        YesNoField(
            id="has_diploma",
            label=N_("Did you get a diploma for this education?"),
            when=Not(Equals("highest_education", "none")),
        ),
        TextField(
            id="diploma_subject",
            label=N_("What is the diploma for?"),
            help=N_("For example: nurse, mechanic, teacher, law."),
            required=False,
            when=Equals("has_diploma", True),
        ),
        CountryField(
            id="diploma_country",
            label=N_("In which country did you get your diploma?"),
            when=Equals("has_diploma", True),
        ),
        YesNoField(
            id="diploma_papers",
            label=N_("Do you have the papers of your diploma with you?"),
            when=Equals("has_diploma", True),
        ),
        YesNoField(
            id="wants_study",
            label=N_("Would you like to study in the Netherlands?"),
        ),
    ),
)

WORK = Step(
    id="work",
    title=N_("Work experience"),
    intro=N_("Tell us about the work you did, paid or unpaid."),
    fields=(
        YesNoField(id="has_worked", label=N_("Have you ever had work?")),
        TextField(
            id="occupation",
            label=N_("What was your work?"),
            help=N_("For example: tailor, farmer, shop assistant, engineer."),
            when=Equals("has_worked", True),
        ),
        NumberField(
            id="work_years",
            label=N_("How many years did you do this work?"),
            min_value=0,
            max_value=60,
            when=Equals("has_worked", True),
        ),
        CountryField(
            id="work_country",
            label=N_("In which country did you do this work?"),
            when=Equals("has_worked", True),
        ),
        YesNoField(id="works_now", label=N_("Do you have work in the Netherlands now?")),
        MultiChoiceField(
            id="skills",
            label=N_("What are you good at?"),
            help=N_("Choose all that fit."),
            choices=(
                Choice("hands", N_("Working with my hands")),
                Choice("people", N_("Helping or caring for people")),
                Choice("computers", N_("Computers")),
                Choice("cooking", N_("Cooking")),
                Choice("driving", N_("Driving")),
                Choice("selling", N_("Selling and trade")),
                Choice("teaching", N_("Teaching")),
                Choice("other", N_("Something else")),
            ),
            required=False,
        ),
    ),
)

HEALTH = Step(
    id="health",
    title=N_("Health"),
    intro=N_("These questions are about your health. You do not have to answer them."),
    why=N_(
        "Why we ask: the law asks us to look at your health, so that your route fits you. "
        "Only your klantmanager sees your answers. We never share them without asking you."
    ),
    fields=(
        ChoiceField(
            id="health_limits",
            label=N_("Do you have health problems that make learning or working harder?"),
            choices=(
                Choice("no", N_("No")),
                Choice("physical", N_("Yes, physical problems")),
                Choice("mental", N_("Yes, problems with stress, sleep or mood")),
                Choice("both", N_("Yes, both")),
            ),
            prefer_not=True,
            required=False,
            sensitive=True,
        ),
        LongTextField(
            id="health_details",
            label=N_("What should we know about this?"),
            help=N_("Only if you want to tell us."),
            required=False,
            when=In("health_limits", ("physical", "mental", "both")),
            sensitive=True,
        ),
        YesNoField(
            id="health_help_wanted",
            label=N_("Would you like to talk to someone about your health?"),
            required=False,
            prefer_not=True,
            sensitive=True,
        ),
    ),
)

FAMILY = Step(
    id="family",
    title=N_("Family and children"),
    intro=N_("Some questions about the people you live with."),
    why=N_("Why we ask: we plan lessons and childcare together with you. Only your klantmanager sees this."),
    fields=(
        ChoiceField(
            id="partner",
            label=N_("Do you have a partner?"),
            choices=(
                Choice("none", N_("No")),
                Choice("in_nl", N_("Yes, my partner lives in the Netherlands")),
                Choice("abroad", N_("Yes, my partner lives in another country")),
            ),
            prefer_not=True,
        ),
        YesNoField(
            id="talk_without_partner",
            label=N_("Would you like a talk with us without your partner?"),
            help=N_("You always have the right to talk to us alone. Nobody else will know you asked."),
            when=Equals("partner", "in_nl"),
            sensitive=True,
        ),
        YesNoField(id="has_children", label=N_("Do you have children?")),
        NumberField(
            id="children_count",
            label=N_("How many children do you have?"),
            min_value=1,
            max_value=20,
            when=Equals("has_children", True),
        ),
        YesNoField(
            id="children_under_4",
            label=N_("Do you have children younger than 4 years?"),
            help=N_(
                "Young children can go to a playgroup with extra help in Dutch (early childhood "
                "education). We can tell you more."
            ),
            when=Equals("has_children", True),
        ),
        YesNoField(
            id="needs_childcare",
            label=N_("Do you need childcare when you go to lessons?"),
            when=Equals("has_children", True),
        ),
    ),
)

HOUSING = Step(
    id="housing",
    title=N_("Housing"),
    fields=(
        ChoiceField(
            id="housing_type",
            label=N_("Where do you live now?"),
            choices=(
                Choice("own_home", N_("In my own rented or bought home")),
                Choice("with_others", N_("With family or friends")),
                Choice("reception", N_("In a reception centre (azc)")),
                Choice("temporary", N_("In a temporary place")),
            ),
        ),
        YesNoField(
            id="housing_problems",
            label=N_("Do you have problems with your home?"),
            help=N_("For example: too small, damp, or you may have to leave."),
        ),
        LongTextField(
            id="housing_details",
            label=N_("What is the problem?"),
            required=False,
            max_length=1000,
            when=Equals("housing_problems", True),
        ),
    ),
)

INCOME = Step(
    id="income",
    title=N_("Money"),
    intro=N_("Questions about your income and debts."),
    why=N_("Why we ask: if money is a problem, learning is harder. We can help you. Only your klantmanager sees this."),
    fields=(
        MultiChoiceField(
            id="income_sources",
            label=N_("What money do you live on?"),
            help=N_("Choose all that fit."),
            choices=(
                Choice("work", N_("Money from my work")),
                Choice("benefit", N_("Benefit from the municipality")),
                Choice("partner", N_("Money from my partner")),
                Choice("study", N_("Student finance")),
                Choice("none", N_("No income")),
                Choice("other", N_("Other")),
            ),
            exclusive=("none",),
            prefer_not=True,
            sensitive=True,
        ),
        ChoiceField(
            id="has_debts",
            label=N_("Do you have debts?"),
            choices=(Choice("no", N_("No")), Choice("yes", N_("Yes")), Choice("unsure", N_("I do not know"))),
            prefer_not=True,
            sensitive=True,
        ),
        YesNoField(
            id="debt_help_wanted",
            label=N_("Would you like help with your debts or with paying bills?"),
            when=In("has_debts", ("yes", "unsure")),
            sensitive=True,
        ),
    ),
)

NETWORK = Step(
    id="network",
    title=N_("People around you"),
    fields=(
        ChoiceField(
            id="social_contacts",
            label=N_("Do you know people in your town you can ask for help?"),
            choices=(
                Choice("many", N_("Yes, many")),
                Choice("some", N_("Yes, a few")),
                Choice("none", N_("No, nobody")),
            ),
        ),
        YesNoField(id="volunteers", label=N_("Do you do volunteer work?")),
        YesNoField(
            id="volunteer_interest",
            label=N_("Would you like to do volunteer work?"),
            when=Equals("volunteers", False),
        ),
        YesNoField(
            id="wants_language_buddy",
            label=N_("Would you like a language buddy (taalmaatje) to practise Dutch with?"),
        ),
    ),
)

GOALS = Step(
    id="goals",
    title=N_("Your goals"),
    intro=N_("What do you want to reach in the Netherlands? There are no wrong answers."),
    fields=(
        ChoiceField(
            id="main_goal",
            label=N_("What is most important to you in the next years?"),
            choices=(
                Choice("work", N_("Finding work")),
                Choice("education", N_("Studying")),
                Choice("participation", N_("Taking part in my neighbourhood")),
                Choice("dutch", N_("Learning Dutch well")),
            ),
        ),
        LongTextField(
            id="goal_description",
            label=N_("Tell us more about your goal."),
            help=N_("For example the work you want to do. You can leave this empty."),
            required=False,
            max_length=1000,
        ),
        MultiChoiceField(
            id="available_days",
            label=N_("On which days can you come to lessons?"),
            choices=(
                Choice("mon", N_("Monday")),
                Choice("tue", N_("Tuesday")),
                Choice("wed", N_("Wednesday")),
                Choice("thu", N_("Thursday")),
                Choice("fri", N_("Friday")),
                Choice("sat", N_("Saturday")),
                Choice("sun", N_("Sunday")),
            ),
        ),
        MultiChoiceField(
            id="available_times",
            label=N_("At what times can you come?"),
            choices=(
                Choice("morning", N_("Morning")),
                Choice("afternoon", N_("Afternoon")),
                Choice("evening", N_("Evening")),
            ),
        ),
    ),
)

CONSENT = Step(
    id="consent",
    title=N_("Privacy and agreement"),
    intro=N_(
        "What we store: your answers in this intake, and your name and phone number. "
        "Who sees it: only the klantmanagers of your municipality. Your health and money answers "
        "are never shared without your permission. How long: until 5 years after your civic "
        "integration ends; then we delete it. You may always ask to see, change or delete your data."
    ),
    fields=(
        YesNoField(
            id="share_with_school",
            label=N_("May we share your language and education answers with your language school?"),
            help=N_("This helps the school place you in the right group. You can say no."),
            web_only=True,
        ),
        YesNoField(
            id="answers_true",
            label=N_("Did you answer the questions as well as you could?"),
            web_only=True,
        ),
    ),
)

BREDE_INTAKE = Workflow(
    id="brede_intake",
    version=1,
    title=N_("Intake for civic integration"),
    steps=(ABOUT_YOU, LANGUAGES, EDUCATION, WORK, HEALTH, FAMILY, HOUSING, INCOME, NETWORK, GOALS, CONSENT),
    sms=True,
)

__all__ = ["BREDE_INTAKE"]
