"""FHIR R4 resources made from coproduce records, and how each type is read and searched.

One module per resource type (`patient`, `questionnaire` with QuestionnaireResponse,
`observation`, `goal`, `care_plan`, `medication_statement`); `access` holds what they share:
the caller, the patient reference and how a row is read or searched through `people.access`.
`interop.fhir_registry` lists them for the routes and the CapabilityStatement.

Every read of a patient's data goes through `people.access` (`get_patient_for`, which
audits it, or `patients_visible_to`), so a system using a token sees exactly what its staff
user sees. Resource ids: Patient = registry ID; Observation = the score's id; Goal,
CarePlan (a taper plan) and MedicationStatement = the row's id; QuestionnaireResponse =
`{check-in id}-{instrument id}` as before.
"""
